// Makes sure the system programs the tests use are installed: redis-server
// (the remote executor's tests start their own) and chromium (pages are
// checked in a headless browser). Run at the start of `deno task test`: it
// only looks at PATH when both are there. Missing ones are installed with
// apt-get when this runs as root on Debian (or Ubuntu); elsewhere it says
// what to install, and the tests that need them fail saying so too.
//
//   deno run --allow-read --allow-env=PATH --allow-sys=uid --allow-run=apt-get tools/system_packages.ts

/** A program the tests need, and the Debian package that brings it. */
interface Needed {
  readonly program: string;
  readonly aliases: readonly string[];
  readonly debian: string;
  readonly elsewhere: string;
}

const NEEDED: readonly Needed[] = [
  {
    program: "redis-server",
    aliases: [],
    debian: "redis-server",
    elsewhere: "redis (brew install redis; dnf install redis)",
  },
  {
    program: "chromium",
    aliases: ["chromium-browser", "google-chrome", "google-chrome-stable"],
    debian: "chromium",
    elsewhere: "Chromium or Chrome",
  },
];

function onPath(program: string): boolean {
  for (const dir of (Deno.env.get("PATH") ?? "").split(":")) {
    if (dir === "") continue;
    try {
      if (Deno.statSync(`${dir}/${program}`).isFile) return true;
    } catch {
      // not there
    }
  }
  return false;
}

function isDebian(): boolean {
  try {
    Deno.statSync("/etc/debian_version");
    return true;
  } catch {
    return false;
  }
}

function isRoot(): boolean {
  try {
    return Deno.uid() === 0;
  } catch {
    return false;
  }
}

async function aptGet(args: string[]): Promise<boolean> {
  const { code } = await new Deno.Command("apt-get", {
    args,
    env: { DEBIAN_FRONTEND: "noninteractive" },
    stdin: "null",
    stdout: "inherit",
    stderr: "inherit",
  }).output();
  return code === 0;
}

const missing = NEEDED.filter((n) =>
  ![n.program, ...n.aliases].some((p) => onPath(p))
);
if (missing.length > 0) {
  const packages = missing.map((n) => n.debian);
  if (isRoot() && isDebian()) {
    console.error(`Installing ${packages.join(", ")} with apt-get...`);
    const installed = await aptGet(["update", "-qq"]) &&
      await aptGet([
        "install",
        "-y",
        "-qq",
        "--no-install-recommends",
        ...packages,
      ]);
    if (!installed) {
      console.error(
        `apt-get could not install ${
          packages.join(", ")
        }: the tests that need them will fail`,
      );
    }
  } else {
    console.error(
      `The tests need ${
        missing.map((n) => n.program).join(" and ")
      }, which are not on PATH. Install them: on Debian or Ubuntu, \`sudo apt-get install ${
        packages.join(" ")
      }\`; elsewhere, ${missing.map((n) => n.elsewhere).join(" and ")}.`,
    );
  }
}
