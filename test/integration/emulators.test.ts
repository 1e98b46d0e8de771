import { connect, createServer } from "node:net";
import { describe, expect, it } from "vitest";
import { emulatorEndpoints } from "../support/aws.js";

/**
 * The emulators listen on 127.0.0.1 only, never on every interface. Another loopback address
 * (127.0.0.2, routed to the loopback interface like all of 127.0.0.0/8) tells the two apart on this
 * machine: a socket bound to all interfaces accepts it, one bound to 127.0.0.1 refuses it.
 */

function connects(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    socket.setTimeout(5_000, () => {
      socket.destroy();
      resolve(false);
    });
    socket.on("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.on("error", () => resolve(false));
  });
}

const portOf = (endpoint: string) => Number(new URL(endpoint).port);

describe("embedded emulators", () => {
  it("this machine tells the addresses apart (a server on all interfaces answers on 127.0.0.2)", async () => {
    const server = createServer((socket) => socket.destroy());
    await new Promise<void>((ok) => server.listen(0, "0.0.0.0", ok));
    const { port } = server.address() as { port: number };
    expect(await connects("127.0.0.2", port)).toBe(true);
    await new Promise<void>((ok) => server.close(() => ok()));
  });

  it.each(["sqs", "dynamodb"] as const)("%s listens on 127.0.0.1 only", async (name) => {
    const port = portOf(emulatorEndpoints()[name]);
    expect(await connects("127.0.0.1", port)).toBe(true);
    expect(await connects("127.0.0.2", port)).toBe(false);
  });
});
