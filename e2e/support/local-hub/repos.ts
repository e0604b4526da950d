import { createHash } from "node:crypto";
import type { FileVersion } from "./content.ts";
import type { HubErrorAnswer } from "./http.ts";

/** Who may read a repository: anyone; anyone for its metadata and file list, granted tokens for files; granted only. */
export type RepoAccess = "public" | "gated" | "private";

/**
 * What a change does to the commits made before it. `new-content`: they serve the new bytes too (the default: every
 * read from now on sees the change, whatever revision it names); `old-content`: they keep the old bytes, as the hub
 * keeps history; `gone`: they answer 404 RevisionNotFound, as after a history squash.
 */
export type OldCommits = "new-content" | "old-content" | "gone";

/** One commit of a repository: its id, date, title and files by path. */
export interface Commit {
  id: string;
  date: Date;
  title: string;
  files: Map<string, FileVersion>;
}

const COMMIT_ID = /^[0-9a-f]{40}$/;

/** A repository served by the local hub: its commits, the one `main` points at, and who may read it. */
export class HubRepo {
  private readonly commits = new Map<string, Commit>();
  private head: Commit;

  constructor(
    readonly id: string,
    readonly access: RepoAccess,
    /** Tokens granted access; undefined grants every token the hub knows. */
    readonly grantedTokens: readonly string[] | undefined,
    first: Commit,
  ) {
    this.head = first;
    this.commits.set(first.id, first);
  }

  /** The commit the `main` branch points at. */
  get main(): Commit {
    return this.head;
  }

  /** The commit a revision names: `main` or `HEAD` (the default branch), or a full 40-hex commit id. */
  revision(name: string): Commit | undefined {
    if (name === "main" || name === "HEAD") return this.head;
    return COMMIT_ID.test(name) ? this.commits.get(name) : undefined;
  }

  /** Commits a new version of `path` (or its deletion, with `next` null) on `main`; returns the new commit. */
  commitChange(path: string, next: FileVersion | null, contentHash: string, oldCommits: OldCommits): Commit {
    const previous = this.head.files.get(path);
    const files = new Map(this.head.files);
    if (next) files.set(path, next);
    else files.delete(path);
    const id = createHash("sha1").update(`${this.head.id}\n${path}\n${contentHash}`).digest("hex");
    const commit: Commit = { id, date: new Date(), title: `${next ? "Update" : "Delete"} ${path}`, files };
    if (oldCommits === "gone") this.commits.clear();
    if (oldCommits === "new-content") {
      for (const old of this.commits.values()) {
        if (old.files.get(path) !== previous) continue;
        if (next) old.files.set(path, next);
        else old.files.delete(path);
      }
    }
    this.commits.set(id, commit);
    this.head = commit;
    return commit;
  }
}

/** The first commit of a repository: `fixedId`, or an id derived from the repository id and its files' names, sizes and dates. */
export function firstCommit(repoId: string, files: FileVersion[], fixedId?: string): Commit {
  if (fixedId !== undefined && !COMMIT_ID.test(fixedId)) {
    throw new Error(`Commit id "${fixedId}" is not 40 lowercase hex digits.`);
  }
  const fingerprint = files.map((file) => {
    const mtime = file.source.kind === "disk" ? file.source.mtimeMs : 0;
    return `${file.path}\t${file.size}\t${mtime}`;
  });
  const id =
    fixedId ??
    createHash("sha1")
      .update(`local-hub\n${repoId}\n${fingerprint.join("\n")}`)
      .digest("hex");
  return { id, date: new Date(), title: "Initial commit", files: new Map(files.map((file) => [file.path, file])) };
}

/** What the request may see of a repository, decided from its token. */
export interface Reader {
  /** The Bearer token sent, if any. */
  token: string | undefined;
  /** Every token the hub knows. */
  knownTokens: ReadonlySet<string>;
}

/**
 * Why `reader` may not read `repo` (its metadata and file list, or with `content` its files), as huggingface.co
 * answers: an unknown token is refused everywhere (401); a private or missing repository is 401 RepoNotFound without a
 * token and 404 with one; a gated repository's files are 401 GatedRepo without a token and 403 with one not granted.
 */
export function accessProblem(
  repoId: string,
  repo: HubRepo | undefined,
  reader: Reader,
  content: boolean,
  hubUrl: string,
): HubErrorAnswer | null {
  const { token, knownTokens } = reader;
  if (token !== undefined && !knownTokens.has(token)) {
    return { status: 401, message: "Invalid credentials in Authorization header" };
  }
  const granted = token !== undefined && (repo?.grantedTokens ?? [...knownTokens]).includes(token);
  if (!repo || (repo.access === "private" && !granted)) {
    return { status: token ? 404 : 401, code: "RepoNotFound", message: "Repository not found" };
  }
  if (repo.access !== "gated" || !content || granted) return null;
  return token
    ? {
        status: 403,
        code: "GatedRepo",
        message:
          `Access to model ${repoId} is restricted and you are not in the authorized list. ` +
          `Visit ${hubUrl}/${repoId} to ask for access.`,
      }
    : {
        status: 401,
        code: "GatedRepo",
        message: `Access to model ${repoId} is restricted. You must have access to it and be authenticated to access it. Please log in.`,
      };
}
