import type { Template } from "aws-cdk-lib/assertions";
import type { Topology } from "../../shared/topology/topology.js";

/** The parts of a CloudFormation resource these tests read. */
export interface CfnResource {
  readonly Type: string;
  readonly Properties: Record<string, unknown>;
  readonly DeletionPolicy?: string;
  readonly UpdateReplacePolicy?: string;
}

export interface PolicyStatement {
  readonly Effect: string;
  readonly Action: string | readonly string[];
  readonly Resource: unknown;
  readonly Condition?: unknown;
}

/** Every resource of `type`, as `[logicalId, resource]` pairs. */
export function resourcesOfType(template: Template, type: string): Array<[string, CfnResource]> {
  return Object.entries(template.findResources(type) as Record<string, CfnResource>);
}

/** The single resource of `type` whose property `name` equals `value`; throws otherwise. */
export function resourceWith(
  template: Template,
  type: string,
  name: string,
  value: unknown,
): [string, CfnResource] {
  const found = resourcesOfType(template, type).filter(([, r]) => r.Properties[name] === value);
  if (found.length !== 1) {
    throw new Error(`Expected one ${type} with ${name}=${JSON.stringify(value)}, found ${found.length}.`);
  }
  return found[0] as [string, CfnResource];
}

export const getAttArn = (logicalId: string) => ({ "Fn::GetAtt": [logicalId, "Arn"] });
export const ref = (logicalId: string) => ({ Ref: logicalId });

/**
 * Renders an intrinsic value as text: `Ref` → `${Id}`, `Fn::GetAtt` → `${Id.Attr}`, `Fn::Join` joined.
 * Enough to compare ARNs and URLs the stack builds from pseudo parameters.
 */
export function render(value: unknown): string {
  if (typeof value === "string" || typeof value === "number") return String(value);
  if (Array.isArray(value)) return value.map(render).join(",");
  if (typeof value === "object" && value !== null) {
    const entries = Object.entries(value);
    const [key, arg] = entries[0] ?? [];
    if (entries.length === 1 && key === "Ref") return `\${${String(arg)}}`;
    if (entries.length === 1 && key === "Fn::GetAtt" && Array.isArray(arg)) return `\${${arg.join(".")}}`;
    if (entries.length === 1 && key === "Fn::Join" && Array.isArray(arg)) {
      const [separator, parts] = arg as [string, unknown[]];
      return parts.map(render).join(separator);
    }
    return JSON.stringify(value);
  }
  return String(value);
}

export const asArray = <T>(value: T | readonly T[]): readonly T[] =>
  Array.isArray(value) ? (value as readonly T[]) : [value as T];

/** Every statement of every IAM policy attached to the role with this logical id. */
export function statementsOfRole(template: Template, roleLogicalId: string): PolicyStatement[] {
  return resourcesOfType(template, "AWS::IAM::Policy")
    .filter(([, policy]) =>
      asArray(policy.Properties.Roles as unknown[]).some((r) => render(r) === `\${${roleLogicalId}}`),
    )
    .flatMap(
      ([, policy]) => (policy.Properties.PolicyDocument as { Statement: PolicyStatement[] }).Statement,
    );
}

/** The logical id of the role a Lambda function runs with. */
export function roleOfFunction(fn: CfnResource): string {
  const role = fn.Properties.Role as { "Fn::GetAtt": [string, string] };
  return role["Fn::GetAtt"][0];
}

/** Allowed statements that include `action` (exact action names; the stack never uses wildcards). */
export function statementsAllowing(
  statements: readonly PolicyStatement[],
  action: string,
): PolicyStatement[] {
  return statements.filter((s) => s.Effect === "Allow" && asArray(s.Action).includes(action));
}

/** Rendered resources of the statements, e.g. `${StatefulQueueingressQueue1234.Arn}`. */
export function resourcesOf(statements: readonly PolicyStatement[]): string[] {
  return statements.flatMap((s) => asArray(s.Resource).map(render));
}

/** The physical name the topology gives a function. */
export function functionNameOf(topology: Topology, key: string): string {
  const spec = topology.functions.find((f) => f.key === key);
  if (!spec) throw new Error(`topology has no function ${key}`);
  return spec.name;
}
