// RFC 6962 hashing and proofs against published vectors, copied from transparency-dev/merkle (a Certificate
// Transparency implementation): rfc6962/rfc6962_test.go (TestRFC6962Hasher), proof/verify_test.go (leaves, roots,
// inclusionProofs, consistencyProofs and the corruptions of corruptInclusionProof/corruptConsistencyProof), and
// testdata/consistency/1/happy-path.json. None of these values were produced by our code.
import { describe, expect, it } from 'vitest';
import {
  consistencyProof,
  EMPTY_ROOT,
  inclusionProof,
  leafHash,
  MerkleAccumulator,
  nodeHash,
  rootFromInclusionProof,
  treeHash,
  verifyConsistency,
  verifyInclusion,
} from '../../../functions/audit/merkle.js';

const h = (hex: string) => Buffer.from(hex, 'hex');
const b64 = (text: string) => Buffer.from(text, 'base64');

// proof/verify_test.go: leaves and the roots of the trees of their first 1..8 leaves.
const leaves = ['', '00', '10', '2021', '3031', '40414243', '5051525354555657', '606162636465666768696a6b6c6d6e6f'].map(
  h,
);
const roots = [
  '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
  'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
  'aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77',
  'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
  '4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4',
  '76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef',
  'ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c',
  '5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328',
].map(h);
// inclusionProofs: leaf is 1-based there.
const inclusionVectors = [
  {
    leaf: 1,
    size: 8,
    proof: [
      '96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7',
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4',
    ],
  },
  {
    leaf: 6,
    size: 8,
    proof: [
      'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
      'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0',
      'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
    ],
  },
  { leaf: 3, size: 3, proof: ['fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125'] },
  {
    leaf: 2,
    size: 5,
    proof: [
      '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
    ],
  },
].map((v) => ({ ...v, proof: v.proof.map(h) }));
const consistencyVectors = [
  {
    size1: 1,
    size2: 8,
    proof: [
      '96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7',
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4',
    ],
  },
  {
    size1: 6,
    size2: 8,
    proof: [
      '0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a',
      'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0',
      'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
    ],
  },
  {
    size1: 2,
    size2: 5,
    proof: [
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
    ],
  },
  {
    size1: 6,
    size2: 7,
    proof: [
      '0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a',
      'b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f',
      'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
    ],
  },
].map((v) => ({ ...v, proof: v.proof.map(h) }));
const leafHashes = leaves.map(leafHash);
const flip = (buf: Buffer, mask: number) => {
  const copy = Buffer.from(buf);
  copy[0] = (copy[0] as number) ^ mask;
  return copy;
};
const someHash = h('abacaba000000000000000000000000000000000000000000060061e00123456');

describe('RFC 6962 hashing (rfc6962/rfc6962_test.go)', () => {
  it('hashes the empty tree, an empty leaf, a leaf and a node to the published values', () => {
    expect(EMPTY_ROOT.toString('hex')).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(leafHash(Buffer.alloc(0)).toString('hex')).toBe(
      '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
    );
    expect(leafHash(Buffer.from('L123456')).toString('hex')).toBe(
      '395aa064aa4c29f7010acfe3f25db9485bbd4b91897b6ad7ad547639252b4d56',
    );
    expect(nodeHash(Buffer.from('N123'), Buffer.from('N456')).toString('hex')).toBe(
      'aa217fe888e47007fa15edab33c2b492a722cb106c64667fc2b044444de66bbb',
    );
  });

  it('computes the published root of every prefix of the eight test leaves, batch and incremental alike', () => {
    const acc = new MerkleAccumulator();
    for (let size = 1; size <= 8; size++) {
      acc.pushEntry(leaves[size - 1] as Buffer);
      expect(treeHash(leaves.slice(0, size)).toString('hex')).toBe(roots[size - 1]?.toString('hex'));
      expect(acc.root().toString('hex')).toBe(roots[size - 1]?.toString('hex'));
    }
    expect(new MerkleAccumulator().root().equals(EMPTY_ROOT)).toBe(true);
  });
});

describe('inclusion proofs (proof/verify_test.go inclusionProofs)', () => {
  it.each(inclusionVectors)('builds and verifies the published proof of leaf $leaf in a tree of $size', (v) => {
    const index = v.leaf - 1;
    const leaf = leafHashes[index] as Buffer;
    const root = roots[v.size - 1] as Buffer;
    expect(inclusionProof(leafHashes.slice(0, v.size), index).map((p) => p.toString('hex'))).toEqual(
      v.proof.map((p) => p.toString('hex')),
    );
    expect(rootFromInclusionProof(index, v.size, leaf, v.proof)?.equals(root)).toBe(true);
    expect(verifyInclusion(index, v.size, leaf, v.proof, root)).toBe(true);
  });

  it.each(inclusionVectors)('rejects every corruption of the proof of leaf $leaf in $size', (v) => {
    const index = v.leaf - 1;
    const leaf = leafHashes[index] as Buffer;
    const root = roots[v.size - 1] as Buffer;
    const probes: [number, number, Buffer, Buffer[], Buffer][] = [
      [index - 1, v.size, leaf, v.proof, root],
      [index + 1, v.size, leaf, v.proof, root],
      [index ^ 2, v.size, leaf, v.proof, root],
      [index, v.size * 2, leaf, v.proof, root],
      [index, Math.floor(v.size / 2), leaf, v.proof, root],
      [index, v.size, Buffer.from('WrongLeaf'), v.proof, root],
      [index, v.size, leaf, v.proof, EMPTY_ROOT],
      [index, v.size, leaf, v.proof, someHash],
      [index, v.size, leaf, [...v.proof, Buffer.alloc(0)], root],
      [index, v.size, leaf, [...v.proof, root], root],
      [index, v.size, leaf, [Buffer.alloc(0), ...v.proof], root],
      [index, v.size, leaf, [root, ...v.proof], root],
      [index, v.size, leaf, v.proof.slice(0, -1), root],
      ...v.proof.map((_, i): [number, number, Buffer, Buffer[], Buffer] => [
        index,
        v.size,
        leaf,
        v.proof.map((p, j) => (i === j ? flip(p, 8) : p)),
        root,
      ]),
    ];
    if (v.proof.length > 1) {
      probes.push([index, v.size, leaf, [v.proof[0] as Buffer, someHash, ...v.proof.slice(1)], root]);
    }
    for (const [i, size, l, proof, r] of probes) expect(verifyInclusion(i, size, l, proof, r)).toBe(false);
  });
});

describe('consistency proofs (proof/verify_test.go consistencyProofs, testdata/consistency)', () => {
  it.each(consistencyVectors)('builds and verifies the published proof from $size1 to $size2', (v) => {
    const root1 = roots[v.size1 - 1] as Buffer;
    const root2 = roots[v.size2 - 1] as Buffer;
    expect(consistencyProof(leafHashes.slice(0, v.size2), v.size1).map((p) => p.toString('hex'))).toEqual(
      v.proof.map((p) => p.toString('hex')),
    );
    expect(verifyConsistency(v.size1, v.size2, v.proof, root1, root2)).toBe(true);
  });

  it.each(consistencyVectors)('rejects every corruption of the proof from $size1 to $size2', (v) => {
    const root1 = roots[v.size1 - 1] as Buffer;
    const root2 = roots[v.size2 - 1] as Buffer;
    const wrong = Buffer.from('WrongRoot');
    const probes: [number, number, Buffer, Buffer, Buffer[]][] = [
      [v.size1 - 1, v.size2, root1, root2, v.proof],
      [v.size1 + 1, v.size2, root1, root2, v.proof],
      [v.size1 ^ 2, v.size2, root1, root2, v.proof],
      [v.size1, v.size2 * 2, root1, root2, v.proof],
      [v.size1, Math.floor(v.size2 / 2), root1, root2, v.proof],
      [v.size1, v.size2, wrong, root2, v.proof],
      [v.size1, v.size2, root1, wrong, v.proof],
      [v.size1, v.size2, root2, root1, v.proof],
      [v.size1, v.size2, root1, root2, []],
      [v.size1, v.size2, root1, root2, [...v.proof, Buffer.alloc(0)]],
      [v.size1, v.size2, root1, root2, [...v.proof, root1]],
      [v.size1, v.size2, root1, root2, [...v.proof, root2]],
      [v.size1, v.size2, root1, root2, [Buffer.alloc(0), ...v.proof]],
      [v.size1, v.size2, root1, root2, [root1, ...v.proof]],
      [v.size1, v.size2, root1, root2, [root2, ...v.proof]],
      [v.size1, v.size2, root1, root2, [v.proof[0] as Buffer, ...v.proof]],
      [v.size1, v.size2, root1, root2, v.proof.slice(0, -1)],
      ...v.proof.map((_, i): [number, number, Buffer, Buffer, Buffer[]] => [
        v.size1,
        v.size2,
        root1,
        root2,
        v.proof.map((p, j) => (i === j ? flip(p, 16) : p)),
      ]),
    ];
    for (const [s1, s2, r1, r2, proof] of probes) expect(verifyConsistency(s1, s2, proof, r1, r2)).toBe(false);
  });

  it('verifies testdata/consistency/1/happy-path.json (base64 as published)', () => {
    const proof = [
      'lqKW0iTyhcZ77pPDD4owkVfw2qNdxbh+QQt4YwoJz8c=',
      'Xwg/ChozygdqlSeYMlgNs+DvRYS9/x9UyKNg9Q3jAx4=',
      'a0eq8p7jwq+a+Im8H7klTavTEXfxYjLdaqsDXKOb9uQ=',
    ].map(b64);
    const root1 = b64('bjQLnP+zepicpUTmu3gKLHiQHT+zNzh2hRGjBhevoB0=');
    const root2 = b64('XcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=');
    expect(verifyConsistency(1, 8, proof, root1, root2)).toBe(true);
    expect(verifyConsistency(1, 8, proof.slice(1), root1, root2)).toBe(false);
  });

  it('accepts the trivially consistent sizes and refuses time travel (TestVerifyConsistency)', () => {
    const r1 = Buffer.from("don't care 1");
    const r2 = Buffer.from("don't care 2");
    expect(verifyConsistency(0, 0, [], r1, r1)).toBe(true);
    expect(verifyConsistency(0, 1, [], r1, r2)).toBe(true);
    expect(verifyConsistency(1, 1, [], r2, r2)).toBe(true);
    expect(verifyConsistency(0, 0, [], r1, r2)).toBe(false);
    expect(verifyConsistency(1, 0, [], r1, r2)).toBe(false);
    expect(verifyConsistency(2, 1, [], r1, r2)).toBe(false);
    expect(verifyConsistency(1, 2, [], r1, r2)).toBe(false);
    expect(verifyConsistency(1, 1, [EMPTY_ROOT], EMPTY_ROOT, EMPTY_ROOT)).toBe(false);
  });
});
