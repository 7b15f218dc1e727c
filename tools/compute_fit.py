#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Prototype of include/llamaplan/compute.hpp (not used by the build).

Builds the node graph llama.cpp reserves for a standard decoder (llama / qwen3 / qwen3moe / gemma3, see
src/models/*.cpp at llama.cpp 3f545bec) as ggml would order it (depth-first over src[0..], ggml.c
ggml_visit_parents_graph) and replays ggml-alloc.c's graph allocator (ggml_gallocr_alloc_graph_impl with the
best-fit ggml_dyn_tallocr, 32-byte alignment). The high-water mark is the CPU compute buffer size.

Usage: python3 tools/compute_fit.py [tests/data/groundtruth_compute.csv]
prints the median / max relative error per model and tool against the measured rows.
"""
import csv, itertools, statistics, sys
ALIGN = 32
INPLACE = {'add','mul','scale','unary','rope','rms_norm','soft_max'}
class T:
    __slots__=('name','op','size','srcs','view_src','ext','inp','out','layout','id')
    def __init__(s,name,op,size,srcs=(),view_src=None,ext=False,inp=False,layout=None):
        s.name=name; s.op=op; s.size=size; s.srcs=list(srcs); s.view_src=view_src; s.ext=ext; s.inp=inp; s.out=False
        s.layout=layout if layout is not None else (size,)
class G:
    def __init__(s): s.nodes=[]; s.leafs=[]; s.vis=set()
    def expand(s,t):
        st=[(t,0)]
        # iterative DFS post-order
        if id(t) in s.vis: return
        stack=[[t,0]]; s.vis.add(id(t))
        while stack:
            top=stack[-1]; n,i=top
            if i < len(n.srcs):
                top[1]+=1; c=n.srcs[i]
                if c is not None and id(c) not in s.vis:
                    s.vis.add(id(c)); stack.append([c,0])
            else:
                stack.pop()
                (s.leafs if n.op=='none' else s.nodes).append(n)

class Dyn:
    def __init__(s): s.blocks=[[0,1<<62]]; s.max=0
    def alloc(s,size):
        size=(size+ALIGN-1)//ALIGN*ALIGN
        best=-1; bs=None
        for i,b in enumerate(s.blocks[:-1]):
            if b[1]>=size and (bs is None or b[1]<=bs): best=i; bs=b[1]
        if best==-1: best=len(s.blocks)-1
        b=s.blocks[best]; off=b[0]; b[0]+=size; b[1]-=size
        if b[1]==0: s.blocks.pop(best)
        s.max=max(s.max,off+size); return off
    def free(s,off,size):
        size=(size+ALIGN-1)//ALIGN*ALIGN
        bl=s.blocks
        for i,b in enumerate(bl):
            if b[0]+b[1]==off:
                b[1]+=size
                if i<len(bl)-1 and b[0]+b[1]==bl[i+1][0]:
                    b[1]+=bl[i+1][1]; bl.pop(i+1)
                return
            if off+size==b[0]:
                b[0]=off; b[1]+=size
                if i>0 and bl[i-1][0]+bl[i-1][1]==b[0]:
                    bl[i-1][1]+=b[1]; bl.pop(i)
                return
        j=0
        while j<len(bl) and bl[j][0]<off: j+=1
        bl.insert(j,[off,size])

def gallocr(g):
    A=Dyn(); nch={}; nv={}; own={}; addr={}
    def isview(t): return t.view_src is not None
    def allocate(t):
        if t.ext or isview(t) or own.get(id(t)) or id(t) in addr: return
        own[id(t)]=True
        if t.op in INPLACE:
            for p in t.srcs:
                if p is None or not own.get(id(p)): continue
                if p.out or (p.view_src is not None and p.view_src.out): continue
                if p.layout!=t.layout: continue
                if nch.get(id(p),0)==1 and nv.get(id(p),0)==0:
                    if isview(p):
                        vs=p.view_src
                        if nv.get(id(vs),0)==1 and nch.get(id(vs),0)==0 and getattr(p,'layout',None) is not None:
                            addr[id(t)]=addr[id(vs)]; own[id(p)]=False; own[id(vs)]=False; return
                    else:
                        addr[id(t)]=addr[id(p)]; own[id(p)]=False; return
        addr[id(t)]=A.alloc(t.size)
    def free(t):
        if t.out: return
        A.free(addr[id(t)],t.size); own[id(t)]=False
    for l in g.leafs: allocate(l)
    for n in g.nodes:
        if isview(n): nv[id(n.view_src)]=nv.get(id(n.view_src),0)+1
        if n.inp: allocate(n)
        for s in n.srcs:
            if s is None: continue
            nch[id(s)]=nch.get(id(s),0)+1
            if s.inp: allocate(s)
    for n in g.nodes:
        for p in n.srcs:
            if p is not None: allocate(p)
        allocate(n)
        for p in n.srcs:
            if p is None: continue
            nch[id(p)]-=1
            if nch[id(p)]==0 and nv.get(id(p),0)==0:
                if isview(p):
                    vs=p.view_src; nv[id(vs)]-=1
                    if nv[id(vs)]==0 and nch.get(id(vs),0)==0 and own.get(id(vs)): free(vs)
                elif own.get(id(p)): free(p)
    return A.max
_uid=itertools.count()
def W(name): return T(name,'none',0,ext=True)
def new(op,ne,srcs,es=4,name=''):
    size=es
    for x in ne: size*=x
    return T(name,op,size,srcs,layout=(es,tuple(ne)))
def view(p,ne=None,contig=True,es=4):
    root=p.view_src if p.view_src is not None else p
    lay=(es,tuple(ne)) if (contig and ne is not None) else ('v',next(_uid))
    return T('view','view',0,[p],view_src=root,layout=lay)
def inp(ne,es,name):
    t=new('none',ne,[],es,name); t.inp=True; return t

def hadamard(x, rot, ne):
    n=rot.layout[1][0]; tot=1
    for v in ne: tot*=v
    r=view(x,(n,tot//n))
    m=new('mul_mat',(n,tot//n),[rot,r])
    return view(m,ne)

def norm(x, ne, w=True):
    t=new('rms_norm',ne,[x])
    return new('mul',ne,[t,W('nw')]) if w else t

def build(hp, s):
    """hp: dict of hyper-parameters; s: dict shape: n_tokens,n_outputs,n_stream,n_kv,n_kv_swa,fa,qk,qv(bool quantized k/v)"""
    g=G()
    E=hp['n_embd']; Tn=s['n_tokens']; ns=s['n_stream']; fa=s['fa']
    H=hp['n_head']; Hkv=hp['n_head_kv']; hd=hp['head_dim']; F=hp['n_ff']; V=hp['n_vocab']; L=hp['n_layer']
    arch=hp['arch']
    tokens=inp((Tn,),4,'tokens')
    ge=new('get_rows',(E,Tn),[W('tok_embd'),tokens])
    embd=inp((E,Tn),4,'embd')
    g.expand(ge); g.expand(embd)
    cur=ge
    if arch=='gemma3':
        cur=new('scale',(E,Tn),[cur])
    g.expand(cur)
    pos=inp((Tn,),4,'pos')
    mes=2 if fa else 4
    mask=inp((s['n_kv'],Tn//ns,1,ns),mes,'mask')
    mask_swa=inp((s['n_kv_swa'],Tn//ns,1,ns),mes,'mask_swa') if hp.get('swa') else None
    kidx=inp((Tn,),8,'k_idxs')
    vidx=inp((Tn,) if fa else (Tn*Hkv*hd,),8,'v_idxs')
    rotk=inp((hp['nrot_k'],hp['nrot_k']),4,'rotk') if s['qk'] and hd%64==0 else None
    rotv=inp((64,64),4,'rotv') if s['qv'] and hd%64==0 else None
    if hp.get('swa'):
        kidx_s=inp((Tn,),8,'k_idxs_swa'); vidx_s=inp((Tn,) if fa else (Tn*Hkv*hd,),8,'v_idxs_swa')
        rotk_s=inp((hp['nrot_k'],hp['nrot_k']),4,'rotk_s') if s['qk'] and hd%64==0 else None
        rotv_s=inp((64,64),4,'rotv_s') if s['qv'] and hd%64==0 else None
    out_ids=inp((s['n_outputs'],),4,'out_ids')
    inpL=cur
    for il in range(L):
        last = il==L-1
        swa = hp.get('swa') and hp['swa'][il]
        m = mask_swa if swa else mask
        nkv = s['n_kv_swa'] if swa else s['n_kv']
        rk,rv,ki,vi=(rotk_s,rotv_s,kidx_s,vidx_s) if swa else (rotk,rotv,kidx,vidx)
        inpSA=inpL
        cur=norm(inpL,(E,Tn))
        Q=new('mul_mat',(H*hd,Tn),[W('wq'),cur]); Q=view(Q,(hd,H,Tn))
        K=new('mul_mat',(Hkv*hd,Tn),[W('wk'),cur]); K=view(K,(hd,Hkv,Tn))
        Vc=new('mul_mat',(Hkv*hd,Tn),[W('wv'),cur]); Vc=view(Vc,(hd,Hkv,Tn))
        if hp.get('qk_norm'):
            Q=norm(Q,(hd,H,Tn)); K=norm(K,(hd,Hkv,Tn))
        Q=new('rope',(hd,H,Tn),[Q,pos]); K=new('rope',(hd,Hkv,Tn),[K,pos])
        if arch=='gemma3':
            Q=new('scale',(hd,H,Tn),[Q])
        if rk is not None:
            Q=hadamard(Q,rk,(hd,H,Tn)); K=hadamard(K,rk,(hd,Hkv,Tn))
        if rv is not None:
            Vc=hadamard(Vc,rv,(hd,Hkv,Tn))
        g.expand(Q); g.expand(Vc); g.expand(K)
        kc=W('k_cache'); vc=W('v_cache')
        g.expand(T('set_rows','view',0,[kc,view(K,None,False),ki],view_src=kc,layout=('v',next(_uid))))
        if fa:
            vv=view(Vc,None,False)
        else:
            vv=view(Vc,(1,Hkv*hd*Tn))
        g.expand(T('set_rows','view',0,[vc,vv,vi],view_src=vc,layout=('v',next(_uid))))
        q=view(view(Q,None,False),None,False)
        k=view(view(kc,None,False),None,False); v=view(view(vc,None,False),None,False)
        if fa:
            o=new('flash_attn_ext',(hd,H,Tn),[q,k,v,m])
            cur=view(o,(hd*H,Tn))
        else:
            kq=new('mul_mat',(nkv,Tn//ns,H,ns),[k,q])
            if hp.get('softcap'):
                kq=new('scale',(nkv,Tn//ns,H,ns),[kq]); kq=new('unary',(nkv,Tn//ns,H,ns),[kq]); kq=new('scale',(nkv,Tn//ns,H,ns),[kq])
            kq=new('soft_max',(nkv,Tn//ns,H,ns),[kq,m])
            kqv=new('mul_mat',(hd,Tn//ns,H,ns),[v,kq])
            cur=new('cont',(hd*H,Tn),[view(kqv,None,False)])
        g.expand(cur)
        if rv is not None:
            cur=hadamard(cur,rv,(hd*H,Tn))
        cur=new('mul_mat',(E,Tn),[W('wo'),cur])
        To=Tn
        if last:
            To=s['n_outputs']
            cur=new('get_rows',(E,To),[cur,out_ids]); inpSA=new('get_rows',(E,To),[inpSA,out_ids])
        if arch=='gemma3':
            cur=norm(cur,(E,To))
        ffn_inp=new('add',(E,To),[cur,inpSA])
        cur=norm(ffn_inp,(E,To))
        if hp.get('n_expert'):
            cur=moe(hp,cur,To)
        else:
            up=new('mul_mat',(F,To),[W('up'),cur])
            gate=new('mul_mat',(F,To),[W('gate'),cur])
            cur=new('glu',(F,To),[gate,up])
            cur=new('mul_mat',(E,To),[W('down'),cur])
        if arch=='gemma3':
            cur=norm(cur,(E,To))
        cur=new('add',(E,To),[cur,ffn_inp])
        inpL=cur
    cur=norm(inpL,(E,s['n_outputs']))
    cur.out=True
    if arch=='gemma3':
        pass
    lg=new('mul_mat',(V,s['n_outputs']),[W('output'),cur]); lg.out=True
    if hp.get('final_softcap'):
        lg.out=False
        lg=new('scale',(V,s['n_outputs']),[lg]); lg=new('unary',(V,s['n_outputs']),[lg]); lg=new('scale',(V,s['n_outputs']),[lg]); lg.out=True
    g.expand(lg)
    return g

def moe(hp,cur,To):
    E=hp['n_embd']; ne=hp['n_expert']; nu=hp['n_expert_used']; Fe=hp['n_ff_exp']
    logits=new('mul_mat',(ne,To),[W('gate_inp'),cur])
    probs=new('soft_max',(ne,To),[logits])
    sel=new('argsort_top_k',(nu,To),[probs],es=4)
    wts=new('get_rows',(1,nu,To),[view(probs,(1,ne,To)),sel])
    wsum=new('sum_rows',(1,To),[view(wts,(nu,To))])
    wts=new('div',(nu,To),[view(wts,(nu,To)),wsum])  # norm_w
    wts=view(wts,(1,nu,To))
    cur3=view(cur,(E,1,To))
    up=new('mul_mat_id',(Fe,nu,To),[W('up_e'),cur3,sel])
    gate=new('mul_mat_id',(Fe,nu,To),[W('gate_e'),cur3,sel])
    act=new('glu',(Fe,nu,To),[gate,up])
    ex=new('mul_mat_id',(E,nu,To),[W('down_e'),act,sel])
    ex=new('mul',(E,nu,To),[ex,wts])
    views=[view(ex,None,False) for i in range(nu)]
    moe_out=views[0]
    for i in range(1,nu):
        moe_out=new('add',(E,To),[moe_out,views[i]])
    return moe_out

def compute(hp,s): return gallocr(build(hp,s))


def nrot_k(hd):
    n = 64
    while hd % (n * 2) == 0:
        n *= 2
    return n


def main(path):
    groups = {}
    for r in csv.DictReader(open(path)):
        hp = dict(arch=r['arch'], n_embd=int(r['n_embd']), n_head=int(r['n_head']), n_head_kv=int(r['n_head_kv']),
                  head_dim=int(r['head_dim']), n_ff=int(r['n_ff']), n_vocab=int(r['n_vocab']),
                  n_layer=int(r['n_layer']), qk_norm=r['qk_norm'] == '1', n_expert=int(r['n_expert']),
                  n_expert_used=int(r['n_expert_used']), n_ff_exp=int(r['n_ff_exp']))
        hp['nrot_k'] = nrot_k(hp['head_dim'])
        p = int(r['swa_period'])
        if p:
            hp['swa'] = [1 if i % p < p - 1 else 0 for i in range(hp['n_layer'])]
        np_ = int(r['n_parallel'])
        nt = min(int(r['n_ctx']), int(r['n_ubatch']))
        nt = (nt + np_ - 1) // np_ * np_
        s = dict(n_tokens=nt, n_outputs=np_ if r['tool'] == 'server' else min(nt, int(r['n_outputs_max'])),
                 n_stream=1 if r['kv_unified'] == 'true' else np_, n_kv=int(r['n_kv']), n_kv_swa=int(r['n_kv_swa']),
                 fa=r['flash_attn'] == 'on', qk=r['type_k'] not in ('f16', 'f32', 'bf16'),
                 qv=r['type_v'] not in ('f16', 'f32', 'bf16'))
        meas = float(r['compute_buf_mib'])
        err = abs(compute(hp, s) / 2**20 - meas) / meas
        groups.setdefault((r['model'].rsplit('-', 1)[0], r['tool']), []).append(err)
    allerr = []
    for k, v in sorted(groups.items()):
        allerr += v
        print(k, 'n=%d median=%.3f%% max=%.3f%%' % (len(v), 100 * statistics.median(v), 100 * max(v)))
    print('ALL n=%d median=%.3f%% max=%.3f%%' % (len(allerr), 100 * statistics.median(allerr), 100 * max(allerr)))


if __name__ == '__main__':
    main(sys.argv[1] if len(sys.argv) > 1 else 'tests/data/groundtruth_compute.csv')
