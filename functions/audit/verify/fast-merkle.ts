// RFC 6962 Merkle hashing for the verifier's hot loops: the same roots as ../merkle.ts (MerkleAccumulator), with
// one-shot SHA-256 over reused scratch buffers and no per-node objects. The tests compare the two.
import { hash } from 'node:crypto';
import { EMPTY_ROOT } from '../merkle.js';

const leafScratch = Buffer.alloc(33); // 0x00 || data
const nodeScratch = Buffer.alloc(65); // 0x01 || left || right
nodeScratch[0] = 0x01;

/** SHA-256(0x00 || 32-byte digest at data[at..at+32)). */
export function fastLeafHash(data: Uint8Array, at = 0): Buffer {
  leafScratch.set(data.subarray(at, at + 32), 1);
  return hash('sha256', leafScratch, 'buffer');
}

/** SHA-256(0x01 || left || right), both 32 bytes. */
function fastNodeHash(left: Uint8Array, right: Uint8Array): Buffer {
  nodeScratch.set(left, 1);
  nodeScratch.set(right, 33);
  return hash('sha256', nodeScratch, 'buffer');
}

/** MerkleAccumulator's incremental tree hash: complete subtrees merge as leaves arrive, the root folds right to left. */
export class FastMerkle {
  private readonly sizes: number[] = [];
  private readonly hashes: Buffer[] = [];

  /** Adds a leaf hash (already 0x00-hashed), 32 bytes at leaves[at..at+32), which must not change afterwards. */
  push(leaves: Buffer, at = 0): void {
    let node: Buffer = at === 0 && leaves.length === 32 ? leaves : leaves.subarray(at, at + 32);
    let size = 1;
    let top = this.sizes.length - 1;
    while (top >= 0 && this.sizes[top] === size) {
      node = fastNodeHash(this.hashes[top] as Buffer, node);
      size *= 2;
      this.sizes.pop();
      this.hashes.pop();
      top--;
    }
    this.sizes.push(size);
    this.hashes.push(node);
  }

  root(): Buffer {
    let i = this.hashes.length - 1;
    if (i < 0) return Buffer.from(EMPTY_ROOT);
    let acc = this.hashes[i] as Buffer;
    for (i--; i >= 0; i--) acc = fastNodeHash(this.hashes[i] as Buffer, acc);
    return acc;
  }
}
