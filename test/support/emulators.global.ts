import { freePort, LOCAL_AWS_ENV, startDynamoDbEmulator, startSqsEmulator } from "../../local/emulators.js";

/**
 * Starts the SQS and DynamoDB emulators once per test run and hands their endpoints to the test
 * workers through the environment (workers inherit it). Each test creates its own uniquely named
 * resources, so files can share the emulators safely.
 */
export default async function setup(): Promise<() => Promise<void>> {
  const [sqs, dynamodb] = await Promise.all([startSqsEmulator(0), freePort().then(startDynamoDbEmulator)]);
  process.env.TEST_SQS_ENDPOINT = sqs.endpoint;
  process.env.TEST_DYNAMODB_ENDPOINT = dynamodb.endpoint;
  Object.assign(process.env, LOCAL_AWS_ENV);
  return async () => {
    await Promise.all([sqs.stop(), dynamodb.stop()]);
  };
}
