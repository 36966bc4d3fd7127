/**
 * Where recordings go: the customer's own storage. For now a local directory (a mounted volume, an NFS share).
 * Work files (IVF, Ogg) live in a hidden per-task folder inside that same directory — never in the system temp
 * directory — and are removed when the task ends, whatever happened. A finished file appears atomically
 * (written as `.partial`, then renamed).
 */
import fs from 'node:fs';
import path from 'node:path';

/** A stored recording file, shaped after TRTC's StorageFileList entries. */
export interface StoredFile {
  UserId: string;
  FileName: string;
  /** `audio_video`, `audio` or `video`. */
  TrackType: 'audio_video' | 'audio' | 'video';
  /** Unix ms of the segment's first media. */
  BeginTimeStamp: number;
  /** Bytes written. */
  Size: number;
}

/** File names carry only [A-Za-z0-9_-]: ids come from the network and must not walk the filesystem. */
export function safeNamePart(value: string): string {
  const cleaned = value.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 64);
  return cleaned.length > 0 ? cleaned : '_';
}

export class LocalDirectoryStorage {
  readonly directory: string;
  readonly #prefix: string;

  /** `fileNamePrefix` (TRTC's FileNamePrefix) is sanitised like every name part. */
  constructor(directory: string, options: { fileNamePrefix?: string } = {}) {
    this.directory = path.resolve(directory);
    this.#prefix = options.fileNamePrefix ? `${safeNamePart(options.fileNamePrefix)}_` : '';
    fs.mkdirSync(this.directory, { recursive: true, mode: 0o700 });
  }

  /** A fresh work folder for one task, inside the storage directory. */
  workDirectory(taskId: string): string {
    const dir = path.join(this.directory, `.recording-${safeNamePart(taskId)}`);
    fs.mkdirSync(dir, { recursive: false, mode: 0o700 });
    return dir;
  }

  /** The final path of a file named from its parts (each sanitised), with the prefix. */
  finalPath(parts: string[], extension: string): string {
    return path.join(this.directory, `${this.#prefix}${parts.map(safeNamePart).join('_')}.${extension}`);
  }

  /** Removes a task's work folder and everything in it. */
  removeWorkDirectory(dir: string): void {
    if (path.dirname(dir) !== this.directory) throw new Error('not a work directory of this storage');
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
