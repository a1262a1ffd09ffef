import { mkdir, open, readdir, readFile, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { DmmlabError } from '../errors.js';
import { labStateSchema, type LabState, type LabStatus, type Resource } from './lab-state.js';
import { labDir, stateFile, stateRoot } from './paths.js';

/**
 * The write-ahead journal of a lab. Every resource is recorded (and the file
 * synced) before it is created, so that after a crash or SIGKILL `dmmlab
 * cleanup` knows exactly what the lab owns. Writes are atomic (temp + rename).
 */
export class Journal {
  private constructor(private state: LabState) {}

  /** Starts the journal of a new lab; refuses if the lab already exists. */
  static async create(init: Omit<LabState, 'version' | 'resources' | 'createdAt'>): Promise<Journal> {
    const dir = labDir(init.lab);
    await mkdir(stateRoot(), { recursive: true, mode: 0o700 });
    try {
      await mkdir(dir, { mode: 0o700 });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST') {
        throw new DmmlabError('E_LAB_EXISTS', `lab ${init.lab} already exists (${dir})`, {
          hint: `destroy it first (dmmlab destroy ${init.lab}) or deploy under another name (--name)`,
        });
      }
      throw e;
    }
    await mkdir(path.join(dir, 'agents'), { mode: 0o700 });
    await mkdir(path.join(dir, 'logs'), { mode: 0o700 });
    const j = new Journal({ ...init, version: 1, createdAt: new Date().toISOString(), resources: [] });
    await j.flush();
    return j;
  }

  /** Opens the journal of an existing lab. */
  static async open(lab: string): Promise<Journal> {
    const state = await readState(lab);
    return new Journal(state);
  }

  get current(): Readonly<LabState> {
    return this.state;
  }

  /** Records resources about to be created. Call before creating them. */
  async record(resources: Resource[]): Promise<void> {
    this.state.resources.push(...resources);
    await this.flush();
  }

  /** Forgets resources that are gone. */
  async forget(match: (r: Resource) => boolean): Promise<void> {
    this.state.resources = this.state.resources.filter((r) => !match(r));
    await this.flush();
  }

  async update(
    patch: Partial<Pick<LabState, 'status' | 'ownerPid' | 'tunnelDriver' | 'image' | 'plan' | 'ephemeral' | 'signalling' | 'monoToWallMs'>>,
  ): Promise<void> {
    Object.assign(this.state, patch);
    await this.flush();
  }

  async setStatus(status: LabStatus): Promise<void> {
    await this.update({ status });
  }

  /** Removes the lab's directory (state, sockets, logs). */
  async remove(): Promise<void> {
    await rm(labDir(this.state.lab), { recursive: true, force: true });
  }

  private chain: Promise<void> = Promise.resolve();

  /** Writes the current state; concurrent callers are serialised (each write carries everything recorded so far). */
  private flush(): Promise<void> {
    const next = this.chain.then(() => this.write());
    this.chain = next.catch(() => undefined);
    return next;
  }

  private async write(): Promise<void> {
    const file = stateFile(this.state.lab);
    const tmp = `${file}.tmp-${process.pid}-${++writes}`;
    const fh = await open(tmp, 'w', 0o600);
    try {
      await fh.writeFile(JSON.stringify(this.state, null, 1));
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, file);
  }
}

/** Writes by this process so far: temp file names stay apart when two journals of a lab write at once. */
let writes = 0;

/** Reads and checks a lab's state file. */
export async function readState(lab: string): Promise<LabState> {
  let text: string;
  try {
    text = await readFile(stateFile(lab), 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new DmmlabError('E_LAB_NOT_FOUND', `no lab named ${lab} (no ${stateFile(lab)})`, { hint: 'dmmlab inspect lists the labs on this machine' });
    }
    throw e;
  }
  const parsed = labStateSchema.safeParse(JSON.parse(text));
  if (!parsed.success) throw new DmmlabError('E_RUNTIME', `${stateFile(lab)} is damaged: ${parsed.error.issues[0]?.message ?? ''}`);
  return parsed.data;
}

/** Names of every lab with a directory under the state root (including half-deployed ones). */
export async function listLabs(): Promise<string[]> {
  try {
    const entries = await readdir(stateRoot(), { withFileTypes: true });
    return entries
      .filter((e) => e.isDirectory())
      .map((e) => e.name)
      .sort();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
}
