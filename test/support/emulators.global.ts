import { freePort, LOCAL_AWS_ENV, startDynamoDbEmulator, startSqsEmulator } from "../../local/emulators.js";

/**
 * Starts the SQS and DynamoDB emulators once per test run and hands their endpoints to the test
 * workers through the environment (workers inherit it). Each test creates its own uniquely named
 * resources, so files can share the emulators safely.
 */
export default async function setup(): Promise<() => Promise<void>> {
  // One after the other: a port probed for Java must not be handed to fauxqs in the meantime.
  const sqs = await startSqsEmulator(0);
  const dynamodb = await startDynamoDbEmulator(await freePort());
  process.env.TEST_SQS_ENDPOINT = sqs.endpoint;
  process.env.TEST_DYNAMODB_ENDPOINT = dynamodb.endpoint;
  Object.assign(process.env, LOCAL_AWS_ENV);
  return async () => {
    await Promise.all([sqs.stop(), dynamodb.stop()]);
  };
}
