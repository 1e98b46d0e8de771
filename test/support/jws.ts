import { constants, createHmac, type JsonWebKey, type KeyObject, sign } from "node:crypto";
import { createServer, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * An independent JWS signer written from RFC 7515/7518 on `node:crypto` alone (no jose, nothing from
 * `shared/verify`), and a real JWKS server on 127.0.0.1 whose answers a test can switch (keys, errors,
 * slowness, garbage). Used by the JWT and Google Pub/Sub conformance cases and unit tests, the ingest
 * handler's tests and the end-to-end tests.
 */

// ---------------------------------------------------------------------------------------------------
// Independent JWS signer (compact serialisation)

const base64url = (data: Buffer | string): string => Buffer.from(data).toString("base64url");

/** The JWS signature of `input` under `alg` (RFC 7518 §3); `none` gives an empty signature. */
export function jwsSignature(alg: string, input: string, key: KeyObject | Buffer | undefined): Buffer {
  const data = Buffer.from(input, "ascii");
  const bits = alg.slice(2);
  if (alg === "none") {
    return Buffer.alloc(0);
  }
  if (key === undefined) {
    throw new TypeError(`${alg} needs a key`);
  }
  if (alg.startsWith("HS")) {
    return createHmac(`sha${bits}`, key).update(data).digest();
  }
  if (Buffer.isBuffer(key)) {
    throw new TypeError(`${alg} needs a private KeyObject`);
  }
  if (alg.startsWith("RS")) {
    return sign(`sha${bits}`, data, key);
  }
  if (alg.startsWith("PS")) {
    return sign(`sha${bits}`, data, {
      key,
      padding: constants.RSA_PKCS1_PSS_PADDING,
      saltLength: Number(bits) / 8,
    });
  }
  if (alg.startsWith("ES")) {
    // JWS wants the raw r||s form, not DER.
    return sign(`sha${bits}`, data, { key, dsaEncoding: "ieee-p1363" });
  }
  if (alg === "EdDSA") {
    return sign(null, data, key);
  }
  throw new TypeError(`unknown alg ${alg}`);
}

/** A compact JWS of JSON `header` (its `alg` picks the algorithm) and JSON `payload`. */
export function signJws(
  header: Readonly<Record<string, unknown>> & { readonly alg: string },
  payload: Readonly<Record<string, unknown>>,
  key: KeyObject | Buffer | undefined,
): string {
  const input = `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(payload))}`;
  return `${input}.${base64url(jwsSignature(header.alg, input, key))}`;
}

/** The public half of `privateKey` as a JWK carrying `kid`, `alg` and `use: sig`. */
export function publicJwk(privateKey: KeyObject, kid: string, alg: string): JsonWebKey {
  const { d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, ...jwk } = privateKey.export({ format: "jwk" });
  return { ...jwk, kid, alg, use: "sig" };
}

// ---------------------------------------------------------------------------------------------------
// Local JWKS server

export type JwksServerMode = "serve" | "error" | "slow" | "garbage";

export interface LocalJwksServer {
  readonly url: string;
  /** `serve` the keys, answer `error` (500), be `slow` (answer after `slowDelayMs`), or send `garbage` (200, not JSON). */
  mode: JwksServerMode;
  keys: readonly JsonWebKey[];
  /** Requests received so far. */
  readonly requests: number;
  /** Stops listening and drops every connection (a later fetch is refused). Idempotent. */
  close(): Promise<void>;
}

export async function startJwksServer(
  keys: readonly JsonWebKey[],
  slowDelayMs = 5_000,
): Promise<LocalJwksServer> {
  let mode: JwksServerMode = "serve";
  let current = keys;
  let requests = 0;
  let closed: Promise<void> | undefined;
  const timers = new Set<NodeJS.Timeout>();
  const answer = (res: ServerResponse) => {
    res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ keys: current }));
  };
  const server = createServer((_req, res) => {
    requests += 1;
    if (mode === "error") {
      res.writeHead(500, { "content-type": "text/plain" }).end("unavailable");
    } else if (mode === "garbage") {
      res.writeHead(200, { "content-type": "text/html" }).end("<html>maintenance</html>");
    } else if (mode === "slow") {
      const timer = setTimeout(() => {
        timers.delete(timer);
        answer(res);
      }, slowDelayMs);
      timers.add(timer);
    } else {
      answer(res);
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/oauth2/v3/certs`,
    get mode() {
      return mode;
    },
    set mode(next) {
      mode = next;
    },
    get keys() {
      return current;
    },
    set keys(next) {
      current = next;
    },
    get requests() {
      return requests;
    },
    close() {
      closed ??= new Promise<void>((resolve) => {
        for (const timer of timers) clearTimeout(timer);
        timers.clear();
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closed;
    },
  };
}
