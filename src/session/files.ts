// The file adapter: reads capture files (and stdin) in turn into one session, with global
// record numbers running across them. Files that cannot be read at all are collected, not
// thrown, so the others are still analysed.
import { readCapture, type FileReport } from '../capture/reader.js';
import { CaptureError } from '../errors.js';
import type { FlowSession } from './session.js';

export interface FeedFilesOptions {
  signal?: AbortSignal;
  /** Per file: bytes consumed (compressed for gzip) of its size (null for streams), packets so far, gzip or not. */
  onProgress?(fileIndex: number, bytesRead: number, size: number | null, packets: number, gzip: boolean): void;
  stdin?: NodeJS.ReadableStream;
}

export interface FilesRead {
  files: FileReport[];
  failed: CaptureError[];
  interrupted: boolean;
}

export async function feedFiles(session: FlowSession, paths: string[], opts: FeedFilesOptions = {}): Promise<FilesRead> {
  const files: FileReport[] = [];
  const failed: CaptureError[] = [];
  let seq = 0;
  for (let i = 0; i < paths.length; i++) {
    if (opts.signal?.aborted) break;
    try {
      const rep = await readCapture(paths[i], {
        fileIndex: i,
        seqBase: seq,
        pool: session.buffers,
        submit: async (b) => {
          await session.add(b);
        },
        onProgress: opts.onProgress && ((r, s, n, gz) => opts.onProgress!(i, r, s, n, gz)),
        signal: opts.signal,
        stdin: opts.stdin,
      });
      seq += rep.records;
      files.push(rep);
    } catch (err) {
      if (err instanceof CaptureError) failed.push(err);
      else throw err;
    }
  }
  return { files, failed, interrupted: opts.signal?.aborted ?? false };
}
