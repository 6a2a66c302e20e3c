import { CriuAnnotation, CrioAnnotation, PodmanAnnotation } from './annotations.js';
import { criuVersionFromNumber } from './criuVersion.js';

export interface AnnotationField {
  label: string;
  value: string;
  /** The annotation key the value came from. */
  key: string;
}

export interface AnnotationGroup {
  title: string;
  fields: AnnotationField[];
}

type FieldSpec = [label: string, keys: string[], format?: (v: string) => string];

/** CRIU's integer form becomes the dotted one people know; anything else is shown as given. */
const criuText = (v: string): string => criuVersionFromNumber(v)?.text ?? v;

const GROUPS: [string, FieldSpec[]][] = [
  [
    'Container',
    [
      ['Name', [PodmanAnnotation.Name, CrioAnnotation.Name, CriuAnnotation.ContainerName]],
      ['Base image (as typed)', [PodmanAnnotation.RawImageName, CrioAnnotation.RawImageName, CriuAnnotation.RawImageName]],
      ['Base image', [PodmanAnnotation.RootfsImageName, CrioAnnotation.RootfsImageName, CriuAnnotation.RootfsImageName]],
      ['Base image ID', [PodmanAnnotation.RootfsImageID, CrioAnnotation.RootfsImageID, CriuAnnotation.RootfsImageID]],
    ],
  ],
  [
    'Versions',
    [
      ['Podman', [PodmanAnnotation.PodmanVersion]],
      ['CRI-O', [CrioAnnotation.CrioVersion]],
      ['Engine', [CriuAnnotation.EngineName]],
      ['CRIU', [PodmanAnnotation.CriuVersion, CrioAnnotation.CriuVersion, CriuAnnotation.CriuVersion], criuText],
      ['Runtime', [PodmanAnnotation.RuntimeName, CriuAnnotation.RuntimeName]],
      ['Runtime version', [PodmanAnnotation.RuntimeVersion, CriuAnnotation.RuntimeVersion]],
      ['Conmon', [PodmanAnnotation.ConmonVersion, CriuAnnotation.ConmonVersion]],
    ],
  ],
  [
    'Host',
    [
      ['Architecture', [PodmanAnnotation.HostArch, CriuAnnotation.HostArch]],
      ['Kernel', [PodmanAnnotation.HostKernel, CriuAnnotation.HostKernel]],
      ['Cgroups', [PodmanAnnotation.CgroupsVersion, CriuAnnotation.CgroupVersion]],
      ['Distribution', [PodmanAnnotation.DistributionName, CriuAnnotation.DistributionName]],
      ['Distribution version', [PodmanAnnotation.DistributionVersion, CriuAnnotation.DistributionVersion]],
    ],
  ],
];

/**
 * Groups a checkpoint image's annotations for people (Container, Versions, Host), taking each value from the
 * first family that has it (Podman, then CRI-O, then checkpointctl). Keys not shown in a group go to "Other".
 */
export function describeCheckpointAnnotations(annotations: Record<string, string>): AnnotationGroup[] {
  const used = new Set<string>();
  const groups: AnnotationGroup[] = [];
  for (const [title, specs] of GROUPS) {
    const fields: AnnotationField[] = [];
    for (const [label, keys, format] of specs) {
      const key = keys.find((k) => annotations[k] !== undefined);
      keys.forEach((k) => used.add(k));
      if (key) fields.push({ label, key, value: format ? format(annotations[key]!) : annotations[key]! });
    }
    if (fields.length) groups.push({ title, fields });
  }
  const other = Object.keys(annotations)
    .filter((k) => !used.has(k))
    .sort()
    .map((key) => ({ label: key, key, value: annotations[key]! }));
  if (other.length) groups.push({ title: 'Other', fields: other });
  return groups;
}

/** The name of the container a checkpoint image came from, from whichever family recorded it. */
export function checkpointContainerName(annotations: Record<string, string>): string | undefined {
  return annotations[PodmanAnnotation.Name] ?? annotations[CrioAnnotation.Name] ?? annotations[CriuAnnotation.ContainerName];
}
