// Shared by the run store tests: a temporary directory closed with the test.
export async function tempDir(): Promise<
  { readonly path: string } & AsyncDisposable
> {
  const path = await Deno.makeTempDir({ prefix: "braid-runs-" });
  return {
    path,
    async [Symbol.asyncDispose]() {
      await Deno.remove(path, { recursive: true });
    },
  };
}
