// Placeholder so the CDK stack can bundle while the real handler is being written.
export const handler = async (): Promise<never> => {
  throw new Error("not implemented yet");
};
