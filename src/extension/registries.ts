import * as vscode from 'vscode';
import { createRegistryClient, findCredentials, type FoundCredential, type RegistryClient, type RegistryCredential } from '../engine/index.js';
import { readSettings } from './config.js';

/** A registry the user added: what the Registries view lists. Credentials are never kept here. */
export interface SavedRegistry {
  /** host[:port], lower-case. */
  host: string;
  /** Plain HTTP (loopback registries get it anyway). */
  insecure: boolean;
  /** Repositories added by hand, for registries that do not list theirs. */
  repositories: string[];
}

const REGISTRIES_KEY = 'checkpointStudio.registries';
const WARNED_KEY = 'checkpointStudio.pushWarned';
const SECRET_PREFIX = 'checkpointStudio.registry:';

/**
 * The saved registries (in globalState, not in settings) and their credentials (in SecretStorage only). Hands out
 * one engine client per registry, so its tokens are reused; a change to either builds a new one.
 */
export class Registries implements vscode.Disposable {
  readonly #clients = new Map<string, RegistryClient>();
  readonly #changed = new vscode.EventEmitter<void>();
  readonly onDidChange = this.#changed.event;
  readonly #secretsWatch: vscode.Disposable;

  constructor(
    private readonly state: vscode.Memento,
    private readonly secrets: vscode.SecretStorage,
    private readonly log: vscode.LogOutputChannel,
  ) {
    // Another window may sign in or out: its clients hold tokens for the old credentials.
    this.#secretsWatch = secrets.onDidChange((e) => {
      if (e.key.startsWith(SECRET_PREFIX)) this.#forget(e.key.slice(SECRET_PREFIX.length));
    });
  }

  list(): SavedRegistry[] {
    return this.state.get<SavedRegistry[]>(REGISTRIES_KEY, []);
  }

  get(host: string): SavedRegistry | undefined {
    return this.list().find((r) => r.host === host.toLowerCase());
  }

  /** Adds or updates a registry; `credential` replaces the saved one, `null` deletes it (back to the login). */
  async save(registry: SavedRegistry, credential?: RegistryCredential | null): Promise<void> {
    const host = registry.host.toLowerCase();
    await this.state.update(REGISTRIES_KEY, [...this.list().filter((r) => r.host !== host), { ...registry, host }].sort((a, b) => a.host.localeCompare(b.host)));
    if (credential) await this.secrets.store(SECRET_PREFIX + host, JSON.stringify(credential));
    else if (credential === null) await this.secrets.delete(SECRET_PREFIX + host);
    this.#forget(host);
  }

  async remove(host: string): Promise<void> {
    const key = host.toLowerCase();
    await this.state.update(REGISTRIES_KEY, this.list().filter((r) => r.host !== key));
    await this.state.update(WARNED_KEY, this.#warned().filter((h) => h !== key));
    await this.secrets.delete(SECRET_PREFIX + key);
    this.#forget(key);
  }

  async addRepository(host: string, repository: string): Promise<void> {
    const saved = this.get(host) ?? { host, insecure: false, repositories: [] };
    if (!saved.repositories.includes(repository)) await this.save({ ...saved, repositories: [...saved.repositories, repository].sort() });
  }

  /** The credential saved in VS Code for a registry, if any. */
  async savedCredential(host: string): Promise<RegistryCredential | undefined> {
    const text = await this.secrets.get(SECRET_PREFIX + host.toLowerCase());
    return text ? (JSON.parse(text) as RegistryCredential) : undefined;
  }

  /** What `podman login` / `docker login` left for a registry, found as podman would (its environment included). */
  login(host: string, repository?: string): Promise<FoundCredential | undefined> {
    return findCredentials(host, repository, { env: { ...process.env, ...readSettings().podmanEnvironment } });
  }

  /** The engine's client for a registry, saved or not (an unsaved one is TLS unless on loopback). */
  client = (host: string): RegistryClient => {
    const key = host.toLowerCase();
    let client = this.#clients.get(key);
    if (!client) {
      client = createRegistryClient({
        registry: host,
        insecure: this.get(key)?.insecure ?? false,
        // The saved credential first; else the podman/docker login.
        credentials: async (registry, repository) => (await this.savedCredential(registry)) ?? (await this.login(registry, repository))?.credential,
        log: (line) => this.log.info(line),
      });
      this.#clients.set(key, client);
    }
    return client;
  };

  /** Whether the user was told, for this registry, what pushing a checkpoint exposes. */
  wasWarned(host: string): boolean {
    return this.#warned().includes(host.toLowerCase());
  }

  async rememberWarning(host: string): Promise<void> {
    if (!this.wasWarned(host)) await this.state.update(WARNED_KEY, [...this.#warned(), host.toLowerCase()]);
  }

  /** Shows what changed in the registries (a push, a removed tag) in the view. */
  refresh(): void {
    this.#changed.fire();
  }

  #warned(): string[] {
    return this.state.get<string[]>(WARNED_KEY, []);
  }

  #forget(host: string): void {
    this.#clients.delete(host);
    this.#changed.fire();
  }

  dispose(): void {
    this.#secretsWatch.dispose();
    this.#changed.dispose();
  }
}
