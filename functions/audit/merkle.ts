// RFC 6962 (and RFC 9162 section 2.1) Merkle tree hashing over SHA-256: leaves are hashed with a 0x00 prefix and
// interior nodes with 0x01, so a leaf can never be passed off as a node. The digests carry such roots over the event
// hashes; auditors can prove an event's inclusion in a digest, and one range's consistency with a longer one.
import { createHash } from 'node:crypto';

const LEAF_PREFIX = Buffer.from([0x00]);
const NODE_PREFIX = Buffer.from([0x01]);

/** MTH({}) = SHA-256 of the empty string. */
export const EMPTY_ROOT: Buffer = createHash('sha256').digest();

/** MTH({d}) = SHA-256(0x00 || d). */
export function leafHash(data: Uint8Array): Buffer {
  return createHash('sha256').update(LEAF_PREFIX).update(data).digest();
}

/** SHA-256(0x01 || left || right). */
export function nodeHash(left: Uint8Array, right: Uint8Array): Buffer {
  return createHash('sha256').update(NODE_PREFIX).update(left).update(right).digest();
}

/** Largest power of two smaller than n (n > 1). */
function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/** The Merkle tree hash of leaves given by their leaf hashes (already 0x00-hashed). */
export function rootFromLeafHashes(leaves: readonly Uint8Array[]): Buffer {
  const acc = new MerkleAccumulator();
  for (const leaf of leaves) acc.pushLeafHash(leaf);
  return acc.root();
}

/** The Merkle tree hash of a list of data entries. */
export function treeHash(entries: readonly Uint8Array[]): Buffer {
  return rootFromLeafHashes(entries.map(leafHash));
}

/**
 * Computes the tree hash incrementally in O(log n) memory: complete subtrees of equal size merge as leaves arrive,
 * and the root folds the remaining ones right to left, which is exactly RFC 6962's split at the largest power of two.
 */
export class MerkleAccumulator {
  private readonly stack: { size: number; hash: Buffer }[] = [];
  private count = 0;

  get size(): number {
    return this.count;
  }

  pushLeafHash(hash: Uint8Array): void {
    let node: { size: number; hash: Buffer } = { size: 1, hash: Buffer.from(hash) };
    this.count++;
    for (let top = this.stack.at(-1); top && top.size === node.size; top = this.stack.at(-1)) {
      this.stack.pop();
      node = { size: top.size * 2, hash: nodeHash(top.hash, node.hash) };
    }
    this.stack.push(node);
  }

  pushEntry(data: Uint8Array): void {
    this.pushLeafHash(leafHash(data));
  }

  root(): Buffer {
    const last = this.stack.at(-1);
    if (!last) return Buffer.from(EMPTY_ROOT);
    let acc = last.hash;
    for (let i = this.stack.length - 2; i >= 0; i--) acc = nodeHash((this.stack[i] as { hash: Buffer }).hash, acc);
    return acc;
  }
}

function subtreeRoot(leaves: readonly Uint8Array[], from: number, to: number): Buffer {
  return rootFromLeafHashes(leaves.slice(from, to));
}

/** PATH(m, D[n]) of RFC 6962 2.1.1: the audit path of leaf `index` (0-based) among `leaves` (leaf hashes). */
export function inclusionProof(leaves: readonly Uint8Array[], index: number): Buffer[] {
  if (!Number.isInteger(index) || index < 0 || index >= leaves.length) throw new RangeError('leaf index out of range');
  const path = (m: number, from: number, to: number): Buffer[] => {
    const n = to - from;
    if (n <= 1) return [];
    const k = splitPoint(n);
    return m < k
      ? [...path(m, from, from + k), subtreeRoot(leaves, from + k, to)]
      : [...path(m - k, from + k, to), subtreeRoot(leaves, from, from + k)];
  };
  return path(index, 0, leaves.length);
}

/** PROOF(m, D[n]) of RFC 6962 2.1.2: proves the first `size1` leaves' tree is a prefix of the whole tree. */
export function consistencyProof(leaves: readonly Uint8Array[], size1: number): Buffer[] {
  if (!Number.isInteger(size1) || size1 < 1 || size1 > leaves.length) throw new RangeError('size1 out of range');
  const subproof = (m: number, from: number, to: number, complete: boolean): Buffer[] => {
    const n = to - from;
    if (m === n) return complete ? [] : [subtreeRoot(leaves, from, to)];
    const k = splitPoint(n);
    return m <= k
      ? [...subproof(m, from, from + k, complete), subtreeRoot(leaves, from + k, to)]
      : [...subproof(m - k, from + k, to, false), subtreeRoot(leaves, from, from + k)];
  };
  return subproof(size1, 0, leaves.length, true);
}

/** RFC 9162 2.1.3.2: the root that an inclusion proof of `leaf` at `index` in a tree of `size` leads to, or null. */
export function rootFromInclusionProof(
  index: number,
  size: number,
  leaf: Uint8Array,
  proof: readonly Uint8Array[],
): Buffer | null {
  if (index >= size || index < 0 || leaf.length !== 32) return null;
  let fn = index;
  let sn = size - 1;
  let r: Buffer = Buffer.from(leaf);
  for (const p of proof) {
    if (p.length !== 32 || sn === 0) return null;
    if (fn % 2 === 1 || fn === sn) {
      r = nodeHash(p, r);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      r = nodeHash(r, p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 ? r : null;
}

/** True when `proof` proves that `leaf` (a leaf hash) is at `index` of the tree of `size` leaves with `root`. */
export function verifyInclusion(
  index: number,
  size: number,
  leaf: Uint8Array,
  proof: readonly Uint8Array[],
  root: Uint8Array,
): boolean {
  const computed = rootFromInclusionProof(index, size, leaf, proof);
  return computed !== null && root.length === 32 && computed.equals(root);
}

/** RFC 9162 2.1.4.2: true when `proof` proves the tree of size1 (root1) is a prefix of the tree of size2 (root2). */
export function verifyConsistency(
  size1: number,
  size2: number,
  proof: readonly Uint8Array[],
  root1: Uint8Array,
  root2: Uint8Array,
): boolean {
  if (size2 < size1 || size1 < 0) return false;
  if (size1 === size2) return proof.length === 0 && Buffer.from(root1).equals(Buffer.from(root2));
  if (size1 === 0) return proof.length === 0;
  if (proof.length === 0 || root1.length !== 32 || root2.length !== 32) return false;
  const path = [...proof];
  // If size1 is an exact power of two, the first subtree root is root1 itself.
  if ((size1 & (size1 - 1)) === 0) path.unshift(root1);
  let fn = size1 - 1;
  let sn = size2 - 1;
  while (fn % 2 === 1) {
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  const first = path[0] as Uint8Array;
  if (first.length !== 32) return false;
  let fr: Buffer = Buffer.from(first);
  let sr: Buffer = Buffer.from(first);
  for (const c of path.slice(1)) {
    if (c.length !== 32 || sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      sr = nodeHash(sr, c);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 && fr.equals(Buffer.from(root1)) && sr.equals(Buffer.from(root2));
}
