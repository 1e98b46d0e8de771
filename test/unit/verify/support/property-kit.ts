import fc from "fast-check";

/** Shared fast-check arbitraries for the verifier property tests. */

/** A 32-byte ed25519 seed. */
export const seedArb = fc.uint8Array({ minLength: 32, maxLength: 32 });

export const clockArb = fc.record({
  now: fc.integer({ min: 1_000_000_000, max: 4_000_000_000 }),
  tolerance: fc.integer({ min: 1, max: 3_600 }),
  /** Where the signed timestamp sits in the window, as a fraction of the tolerance. */
  skew: fc.double({ min: -1, max: 1, noNaN: true }),
});

/** One change to an authentic request that must make it fail. */
export type Mutation =
  | { readonly kind: "body"; readonly position: number; readonly bit: number }
  | { readonly kind: "signature"; readonly position: number; readonly bit: number }
  | { readonly kind: "secret"; readonly position: number }
  | { readonly kind: "timestamp"; readonly delta: number };

export const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant("body"), position: fc.nat(), bit: fc.nat(7) }),
  fc.record({ kind: fc.constant("signature"), position: fc.nat(), bit: fc.nat(7) }),
  fc.record({ kind: fc.constant("secret"), position: fc.nat() }),
  fc.record({
    kind: fc.constant("timestamp"),
    delta: fc.oneof(fc.integer({ min: -7_200, max: -1 }), fc.integer({ min: 1, max: 7_200 })),
  }),
);
