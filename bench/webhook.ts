import { randomBytes } from "node:crypto";
import { signStripe } from "../shared/verify/sign.js";

/** A base62-ish id of Stripe's shape (`evt_` + 24 characters). */
const stripeId = (prefix: string) => `${prefix}_${randomBytes(18).toString("base64url").slice(0, 24)}`;

/**
 * A realistic 1 KiB webhook: a Stripe `invoice.paid` event as Stripe posts it (the body's fields and
 * the headers Stripe sends), signed with `secret`, with a fresh event id each time (Stripe's id is
 * the dedupe key). The body is at least 1024 bytes.
 */
export function stripeLikeWebhook(
  secret: string,
  nowSeconds = Math.floor(Date.now() / 1000),
): { readonly id: string; readonly headers: Record<string, string>; readonly body: string } {
  const id = stripeId("evt");
  const invoice = stripeId("in");
  const body = JSON.stringify({
    id,
    object: "event",
    api_version: "2024-06-20",
    created: nowSeconds,
    type: "invoice.paid",
    livemode: false,
    pending_webhooks: 1,
    request: { id: stripeId("req"), idempotency_key: "3f0a9c4e-2b7d-4f1a-9e6c-5d8b7a6c4e2f" },
    data: {
      object: {
        id: invoice,
        object: "invoice",
        account_country: "DE",
        account_name: "Example GmbH",
        amount_due: 4200,
        amount_paid: 4200,
        amount_remaining: 0,
        billing_reason: "subscription_cycle",
        collection_method: "charge_automatically",
        currency: "eur",
        customer: "cus_QxYzAbCdEfGhIj",
        customer_email: "jenny.rosen@example.com",
        customer_name: "Jenny Rosen",
        hosted_invoice_url: "https://invoice.stripe.com/i/acct_1Qx/test_YWNjdF8xUXh5",
        number: "A1B2C3D4-0007",
        paid: true,
        period_end: nowSeconds,
        period_start: nowSeconds - 2_678_400,
        status: "paid",
        statement_descriptor: "EXAMPLE GMBH",
        subscription: "sub_1QxYzAbCdEfGhIjK",
        subtotal: 4200,
        total: 4200,
        lines: { object: "list", total_count: 1, has_more: false, url: `/v1/invoices/${invoice}/lines` },
      },
    },
  });
  return {
    id,
    headers: {
      "content-type": "application/json; charset=utf-8",
      "user-agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
      accept: "*/*; q=0.5, application/xml",
      "cache-control": "no-cache",
      "stripe-signature": signStripe({ timestamp: nowSeconds, body, secret }),
    },
    body,
  };
}
