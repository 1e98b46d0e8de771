import { beforeAll, describe, expect, it } from "vitest";
import { ALARM_THRESHOLDS } from "../../cdk/lib/observability.js";
import { type SynthResult, synthTemplate } from "../../cdk/lib/synth-template.js";
import { render, resourcesOfType } from "./template-helpers.js";

/** What ops sees in AWS: the dashboard and the alarms beyond DLQ depth, for the sample config. */
let synth: SynthResult;
const TOPIC = "arn:aws:sns:eu-west-1:111122223333:webhooks-alarms";

beforeAll(() => {
  synth = synthTemplate({ bundle: false, alarmTopicArn: TOPIC, stage: "obs" });
}, 120_000);

/** The metric an alarm watches, whether CloudFormation has it inline or as a labelled metric stat. */
const metricNameOf = (alarm: Record<string, unknown> | undefined): unknown =>
  alarm?.MetricName ??
  (alarm?.Metrics as { MetricStat?: { Metric: { MetricName: string } } }[] | undefined)?.find(
    (m) => m.MetricStat,
  )?.MetricStat?.Metric.MetricName;

const alarmsNamed = () =>
  new Map(
    resourcesOfType(synth.template, "AWS::CloudWatch::Alarm").map(([, a]) => [
      String(a.Properties.AlarmName),
      a.Properties,
    ]),
  );

describe("the CloudWatch dashboard", () => {
  it("shows ingest, deliveries, latency, breakers, DLQs, oldest messages and the stream's iterator age", () => {
    const dashboards = resourcesOfType(synth.template, "AWS::CloudWatch::Dashboard");
    expect(dashboards).toHaveLength(1);
    const body = render(dashboards[0]?.[1].Properties.DashboardBody);
    for (const title of [
      "Ingest: requests and accepted webhooks",
      "Ingest: 4xx and 5xx answers",
      "Delivered per subscription",
      "Failed attempts per subscription",
      "Delivery latency per subscription",
      "Messages held by open breakers",
      "DLQ depth per subscription",
      "Oldest message age per subscription queue",
      "Router: stream iterator age",
    ]) {
      expect(body).toContain(title);
    }
    for (const sub of synth.topology.queues.filter((q) => q.role === "http-subscription")) {
      expect(body).toContain(`"subscription","${sub.subscriptionId}"`);
    }
    expect(body).toContain("IteratorAge");
    expect(body).toContain("ApproximateAgeOfOldestMessage");
  });
});

describe("the alarms beyond DLQ depth", () => {
  it("watches every subscription queue's oldest message", () => {
    const alarms = alarmsNamed();
    for (const spec of synth.topology.queues) {
      const alarm = alarms.get(`${spec.name}-oldest-message`);
      expect(metricNameOf(alarm), spec.name).toBe("ApproximateAgeOfOldestMessage");
      expect(alarm?.Threshold, spec.name).toBe(ALARM_THRESHOLDS.oldestMessageSeconds);
    }
  });

  it("watches ingest's 5xx rate, each HTTP subscription's breaker and the router's iterator age", () => {
    const alarms = alarmsNamed();
    const prefix = synth.topology.prefix;
    expect(alarms.get(`${prefix}-ingest-5xx-rate`)).toMatchObject({
      Threshold: ALARM_THRESHOLDS.ingest5xxPercent,
    });
    expect(JSON.stringify(alarms.get(`${prefix}-ingest-5xx-rate`)?.Metrics)).toContain("5xx");
    for (const spec of synth.topology.queues.filter((q) => q.role === "http-subscription")) {
      const alarm = alarms.get(`${spec.name}-breaker-open`);
      expect(metricNameOf(alarm), spec.name).toBe("DeliveryParkedCircuitOpen");
      expect(alarm, spec.name).toMatchObject({
        EvaluationPeriods: ALARM_THRESHOLDS.breakerOpenMinutes / 15,
        DatapointsToAlarm: ALARM_THRESHOLDS.breakerOpenMinutes / 15,
      });
    }
    expect(metricNameOf(alarms.get(`${prefix}-router-iterator-age`))).toBe("IteratorAge");
    // Its description names the command that redrives what it reports.
    expect(alarms.get(`${synth.topology.streamFailures.name}-not-empty`)?.AlarmDescription).toContain(
      "npm run ops -- stream-failures redrive --dry-run",
    );
  });

  it("notifies the alarm topic of every alarm's ALARM and OK", () => {
    for (const [name, alarm] of alarmsNamed()) {
      expect(alarm.AlarmActions, name).toEqual([TOPIC]);
      expect(alarm.OKActions, name).toEqual([TOPIC]);
    }
  });
});
