import { PodmanAnnotation, CriuAnnotation } from './annotations.js';
import { criuVersionFromNumber } from './criuVersion.js';
import { describeCheckpointAnnotations, type AnnotationField } from './describeAnnotations.js';
import type { CheckpointImage } from './podman/checkpointImages.js';
import type { HostFacts } from './podman/hostFacts.js';

/**
 * How a recorded value compares with this host: `same`; `differs` (worth knowing, restore still works);
 * `warning` (restore may fail); `blocker` (podman refuses, or the process cannot run here).
 */
export type Verdict = 'same' | 'differs' | 'warning' | 'blocker';

export interface InspectField extends AnnotationField {
  /** This host's value for the same fact, when it has one. */
  hostValue?: string;
  verdict?: Verdict;
  /** Why the verdict matters, for people. */
  note?: string;
}

export interface InspectModel {
  image: { names: string[]; id: string; digest: string; size: number; created?: string };
  groups: { title: string; fields: InspectField[] }[];
  /** Every annotation as recorded, for "Copy as JSON". */
  annotations: Record<string, string>;
  /** The worst verdict over all fields, so a UI can lead with it. */
  worst: Verdict;
}

type Rule = (recorded: string, host: HostFacts) => Pick<InspectField, 'hostValue' | 'verdict' | 'note'>;

const equalOr = (verdict: Verdict, note: string) => (a: string, b: string) =>
  a === b ? { hostValue: b, verdict: 'same' as const } : { hostValue: b, verdict, note };

// Rules per annotation key; the same fact from any family uses the same rule.
const RULES: Record<string, Rule> = {
  [PodmanAnnotation.HostArch]: (v, h) =>
    equalOr('blocker', 'a different CPU architecture cannot run the checkpointed process')(v, h.arch),
  [PodmanAnnotation.RuntimeName]: (v, h) =>
    equalOr('blocker', "podman restores only with the runtime the checkpoint was made with; change podman's default runtime")(v, h.runtimeName),
  [PodmanAnnotation.CriuVersion]: (v, h) => {
    if (!h.criu) return { hostValue: 'missing', verdict: 'blocker', note: h.criuProblem ?? 'CRIU is not installed here' };
    const recorded = criuVersionFromNumber(v);
    if (!recorded || recorded.number === h.criu.number) return { hostValue: h.criu.text, verdict: 'same' };
    return h.criu.number < recorded.number
      ? { hostValue: h.criu.text, verdict: 'warning', note: 'this CRIU is older than the one that made the checkpoint and may not read its images' }
      : { hostValue: h.criu.text, verdict: 'differs' };
  },
  [PodmanAnnotation.CgroupsVersion]: (v, h) =>
    equalOr('warning', 'a different cgroups version can make the restore fail')(v, h.cgroupsVersion),
  [PodmanAnnotation.HostKernel]: (v, h) => equalOr('differs', 'a different kernel usually restores fine')(v, h.kernel),
  [PodmanAnnotation.PodmanVersion]: (v, h) => equalOr('differs', '')(v, h.podmanVersion),
  [PodmanAnnotation.RuntimeVersion]: (v, h) => equalOr('differs', '')(v, h.runtimeVersion),
  [PodmanAnnotation.ConmonVersion]: (v, h) => equalOr('differs', '')(v, h.conmonVersion),
  [PodmanAnnotation.DistributionName]: (v, h) => equalOr('differs', '')(v, h.distributionName),
  [PodmanAnnotation.DistributionVersion]: (v, h) => equalOr('differs', '')(v, h.distributionVersion),
};
RULES[CriuAnnotation.HostArch] = RULES[PodmanAnnotation.HostArch]!;
RULES[CriuAnnotation.RuntimeName] = RULES[PodmanAnnotation.RuntimeName]!;
RULES[CriuAnnotation.CriuVersion] = RULES[PodmanAnnotation.CriuVersion]!;
RULES[CriuAnnotation.CgroupVersion] = RULES[PodmanAnnotation.CgroupsVersion]!;
RULES[CriuAnnotation.HostKernel] = RULES[PodmanAnnotation.HostKernel]!;

const RANK: Record<Verdict, number> = { same: 0, differs: 1, warning: 2, blocker: 3 };

/** What the inspect view shows: the image, its annotations grouped for people, each host fact beside this host's. */
export function buildInspectModel(image: CheckpointImage, host?: HostFacts): InspectModel {
  let worst: Verdict = 'same';
  const groups = describeCheckpointAnnotations(image.annotations).map((g) => ({
    title: g.title,
    fields: g.fields.map((f): InspectField => {
      const rule = host ? RULES[f.key] : undefined;
      if (!rule) return f;
      const compared = rule(image.annotations[f.key]!, host!);
      if (compared.verdict && RANK[compared.verdict] > RANK[worst]) worst = compared.verdict;
      return { ...f, ...compared, note: compared.note || undefined };
    }),
  }));
  return {
    image: { names: image.names, id: image.id, digest: image.digest, size: image.size, created: image.created?.toISOString() },
    groups,
    annotations: image.annotations,
    worst,
  };
}
