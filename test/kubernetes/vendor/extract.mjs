// Writes the subset of a Kubernetes swagger.json (OpenAPI 2) that the deployment test needs: the
// definitions of the kinds below and every definition they reference, each copied unchanged.
//   node test/kubernetes/vendor/extract.mjs <swagger.json> > test/kubernetes/vendor/kubernetes-definitions.json
import fs from 'node:fs';

const KINDS = [
  'io.k8s.api.apps.v1.Deployment',
  'io.k8s.api.core.v1.Service',
  'io.k8s.api.core.v1.ConfigMap',
  'io.k8s.api.core.v1.Secret',
  'io.k8s.api.autoscaling.v2.HorizontalPodAutoscaler',
  'io.k8s.api.policy.v1.PodDisruptionBudget',
];

const file = process.argv[2];
if (!file) throw new Error('usage: extract.mjs <swagger.json>');
const { definitions } = JSON.parse(fs.readFileSync(file, 'utf8'));
const needed = new Set();
const visit = (value) => {
  if (Array.isArray(value)) value.forEach(visit);
  else if (value && typeof value === 'object')
    for (const [key, inner] of Object.entries(value)) {
      if (key === '$ref') add(inner.replace('#/definitions/', ''));
      else visit(inner);
    }
};
const add = (name) => {
  if (needed.has(name)) return;
  if (!definitions[name]) throw new Error(`${name}: not in ${file}`);
  needed.add(name);
  visit(definitions[name]);
};
KINDS.forEach(add);
const subset = Object.fromEntries(Object.entries(definitions).filter(([name]) => needed.has(name)));
process.stdout.write(`${JSON.stringify({ definitions: subset }, null, 2)}\n`);
