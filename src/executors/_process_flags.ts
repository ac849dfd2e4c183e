// The `deno run` flags of a worker process: the permissions it is given and
// its heap limit.

const NAMES = [
  "env",
  "ffi",
  "import",
  "net",
  "read",
  "run",
  "sys",
  "write",
] as const;

type Name = (typeof NAMES)[number];
type Grant = boolean | "inherit" | readonly (string | URL)[] | undefined;

/**
 * The permission flags for `permissions`, plus read access to `reads` (what
 * importing the node modules needs) unless all reads are allowed anyway.
 * `"inherit"` passes on what this process holds in full (a permission
 * granted only for some paths or hosts is not passed on); `"none"` or an
 * absent permission grants nothing.
 */
export function permissionFlags(
  permissions: Deno.PermissionOptions | undefined,
  reads: readonly string[],
): string[] {
  const flags: string[] = [];
  for (const name of NAMES) {
    let grant: Grant = typeof permissions === "object"
      ? permissions[name]
      : permissions === "inherit"
      ? "inherit"
      : undefined;
    if (grant === "inherit") grant = held(name);
    if (name === "read" && grant !== true) {
      grant = [...(Array.isArray(grant) ? grant : []), ...reads];
    }
    const flag = flagOf(name, grant);
    if (flag !== undefined) flags.push(flag);
  }
  return flags;
}

function flagOf(name: Name, grant: Grant): string | undefined {
  if (grant === true) return `--allow-${name}`;
  if (!Array.isArray(grant) || grant.length === 0) return undefined;
  const list = [...new Set(grant.map((g) => g instanceof URL ? pathOf(g) : g))];
  return `--allow-${name}=${list.join(",")}`;
}

// Whether this process holds `name` for everything.
function held(name: Name): boolean {
  return Deno.permissions.querySync({ name } as Deno.PermissionDescriptor)
    .state === "granted";
}

function pathOf(url: URL): string {
  return url.protocol === "file:" ? decodeURIComponent(url.pathname) : url.href;
}

/** Whether `permissions` let a process read everything. */
export function readsAll(
  permissions: Deno.PermissionOptions | undefined,
): boolean {
  const grant = typeof permissions === "object"
    ? permissions.read
    : permissions === "inherit"
    ? "inherit"
    : undefined;
  return grant === true || (grant === "inherit" && held("read"));
}

/** Checks a permission option, in std style. */
export function checkPermissions(
  permissions: Deno.PermissionOptions | undefined,
): void {
  if (
    permissions === undefined || permissions === "inherit" ||
    permissions === "none"
  ) return;
  if (typeof permissions !== "object" || permissions === null) {
    throw new TypeError(
      `'permissions' must be "inherit", "none" or an object of permissions: received ${permissions}`,
    );
  }
  for (const name of Object.keys(permissions)) {
    if (!(NAMES as readonly string[]).includes(name)) {
      throw new TypeError(
        `'permissions' has an unknown permission "${name}": use ${
          NAMES.join(", ")
        }`,
      );
    }
    const grant = (permissions as Record<string, unknown>)[name];
    if (
      grant !== undefined && typeof grant !== "boolean" &&
      grant !== "inherit" && !Array.isArray(grant)
    ) {
      throw new TypeError(
        `'permissions.${name}' must be a boolean, "inherit" or a list: received ${grant}`,
      );
    }
  }
}

/** The V8 flag of a heap limit in MB, or none. */
export function heapFlags(heapLimitMb: number | undefined): string[] {
  return heapLimitMb === undefined
    ? []
    : [`--v8-flags=--max-old-space-size=${heapLimitMb}`];
}

/**
 * What importing modules at `urls` needs read access to: the directory of
 * each local one (with what is below it), and braid's own modules (node
 * modules import them). A module that imports files elsewhere needs those
 * granted too.
 */
export function readsFor(urls: Iterable<string>): string[] {
  const dirs = new Set<string>();
  const root = new URL("../../", import.meta.url);
  if (root.protocol === "file:") {
    dirs.add(pathOf(new URL("mod.ts", root)));
    dirs.add(pathOf(new URL("src/", root)));
  }
  for (const url of urls) {
    if (url.startsWith("file:")) dirs.add(pathOf(new URL(".", url)));
  }
  // A directory inside another needs no flag of its own.
  const all = [...dirs];
  return all.filter((d) =>
    !all.some((other) =>
      other !== d && other.endsWith("/") && d.startsWith(other)
    )
  );
}
