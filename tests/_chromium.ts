// Debian's chromium (which .ci/run installs), or CHROMIUM_PATH: the
// browser the pictures and the viewer's page are tested in.
export async function findChromium(): Promise<string> {
  const given = Deno.env.get("CHROMIUM_PATH");
  if (given !== undefined && given !== "") return given;
  for (const name of ["chromium", "chromium-browser"]) {
    const out = await new Deno.Command("sh", {
      args: ["-c", `command -v ${name}`],
      stdout: "piped",
      stderr: "null",
    }).output();
    const path = new TextDecoder().decode(out.stdout).trim();
    if (out.code === 0 && path !== "") return path;
  }
  throw new Error(
    "Cannot find Chromium: install Debian's chromium (as .ci/run does) or set CHROMIUM_PATH",
  );
}
