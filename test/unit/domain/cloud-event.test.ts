import { describe, expect, it } from "vitest";
import {
  buildCloudEvent,
  eventIdFor,
  InvalidCloudEventError,
  parseCloudEvent,
  parseJsonBody,
  withData,
} from "../../../shared/domain/cloud-event.js";

const base = {
  eventId: "evt_1",
  sourceId: "gh",
  provider: "github",
  deliveryId: "d-1",
  eventType: "push",
  receivedAt: new Date("2026-11-24T10:00:00Z"),
};

describe("buildCloudEvent", () => {
  it("carries a JSON payload as data and the origin as extensions", () => {
    const body = Buffer.from('{"a":1}');
    const event = buildCloudEvent({
      ...base,
      contentType: "application/json",
      body,
    });
    expect(event).toEqual({
      specversion: "1.0",
      id: "evt_1",
      source: "/webhooks/gh",
      type: "push",
      time: "2026-11-24T10:00:00.000Z",
      datacontenttype: "application/json",
      data: { a: 1 },
      webhooksourceid: "gh",
      webhookprovider: "github",
      webhookdeliveryid: "d-1",
    });
    expect(parseCloudEvent(JSON.stringify(event))).toEqual(event);
  });

  it("carries a body that is not JSON byte for byte as data_base64", () => {
    const body = Buffer.from([0xff, 0x00, 0x61]);
    const event = buildCloudEvent({
      ...base,
      contentType: "application/x-www-form-urlencoded",
      body,
    });
    expect(event.datacontenttype).toBe("application/x-www-form-urlencoded");
    expect(Buffer.from(event.data_base64 ?? "", "base64")).toEqual(body);
    expect(event.data).toBeUndefined();
  });
});

describe("claim check (dataref)", () => {
  it("carries a reference instead of the payload, and withData puts the payload back", () => {
    const event = buildCloudEvent({
      ...base,
      contentType: "application/json",
      body: { ref: "events/gh/evt_1" },
    });
    expect(event).toMatchObject({ dataref: "events/gh/evt_1", datacontenttype: "application/json" });
    expect(event.data).toBeUndefined();
    expect(parseCloudEvent(JSON.stringify(event))).toEqual(event);
    const full = withData(event, Buffer.from('{"big":true}'));
    expect(full).toMatchObject({ id: "evt_1", data: { big: true }, datacontenttype: "application/json" });
    expect(full.dataref).toBeUndefined();
    const binary = withData(
      buildCloudEvent({ ...base, contentType: "application/octet-stream", body: { ref: "r" } }),
      Buffer.from([1, 2, 3]),
    );
    expect(binary.data_base64).toBe(Buffer.from([1, 2, 3]).toString("base64"));
  });
});

describe("parseJsonBody", () => {
  it("parses JSON only when the content type allows it", () => {
    expect(parseJsonBody(Buffer.from('{"a":1}'), "application/json; charset=utf-8")).toEqual({ a: 1 });
    expect(parseJsonBody(Buffer.from('{"a":1}'), "application/vnd.api+json")).toEqual({ a: 1 });
    expect(parseJsonBody(Buffer.from('{"a":1}'), undefined)).toEqual({ a: 1 });
    expect(parseJsonBody(Buffer.from('{"a":1}'), "text/plain")).toBeUndefined();
    expect(parseJsonBody(Buffer.from("{nope"), "application/json")).toBeUndefined();
  });
});

describe("parseCloudEvent", () => {
  it("rejects a message that is not a webhook CloudEvent, naming the field", () => {
    expect(() => parseCloudEvent("nope")).toThrow(InvalidCloudEventError);
    expect(() => parseCloudEvent('{"specversion":"1.0"}')).toThrow(/id/);
  });
});

describe("event ids", () => {
  it("derives the same event id for the same source and key, and a different one otherwise", () => {
    expect(eventIdFor("gh", "id:1")).toBe(eventIdFor("gh", "id:1"));
    expect(eventIdFor("gh", "id:1")).not.toBe(eventIdFor("gh2", "id:1"));
    expect(eventIdFor("gh", "id:1")).toMatch(/^evt_[\w-]{22}$/);
  });
});
