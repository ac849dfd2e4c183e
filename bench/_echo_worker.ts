// A worker that posts back what it receives: the bare round trip between two
// threads that the threaded executor's figure (w3) is compared with.
/// <reference lib="deno.worker" />
self.onmessage = (event) => self.postMessage(event.data);
