import type { S3Client } from "@aws-sdk/client-s3";
import type { PayloadStore } from "../ports/event-store.js";

/**
 * Bodies too large for the event item, one object per event (`payloadKey`), encrypted by the
 * bucket's default, expired by its lifecycle rule after the retention. The S3 SDK is loaded on the
 * first large body only, so the common path's cold start never pays for it.
 */
export class S3PayloadStore implements PayloadStore {
  private client?: Promise<{ s3: S3Client; sdk: typeof import("@aws-sdk/client-s3") }>;

  constructor(
    private readonly bucket: string,
    private readonly createClient: (sdk: typeof import("@aws-sdk/client-s3")) => S3Client,
  ) {}

  private load() {
    this.client ??= import("@aws-sdk/client-s3").then((sdk) => ({ sdk, s3: this.createClient(sdk) }));
    return this.client;
  }

  async put(key: string, body: Buffer, expiresAt: number): Promise<string> {
    const { s3, sdk } = await this.load();
    await s3.send(
      new sdk.PutObjectCommand({
        Bucket: this.bucket,
        Key: key,
        Body: body,
        // Informational: the bucket's lifecycle rule does the expiring.
        Expires: new Date(expiresAt * 1000),
      }),
    );
    return key;
  }

  async get(ref: string): Promise<Buffer> {
    const { s3, sdk } = await this.load();
    const out = await s3.send(new sdk.GetObjectCommand({ Bucket: this.bucket, Key: ref }));
    if (!out.Body) throw new Error(`payload ${ref} has no body`);
    return Buffer.from(await out.Body.transformToByteArray());
  }

  async delete(ref: string): Promise<void> {
    const { s3, sdk } = await this.load();
    await s3.send(new sdk.DeleteObjectCommand({ Bucket: this.bucket, Key: ref }));
  }
}
