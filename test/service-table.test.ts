import path from 'node:path';
import ts from 'typescript';
import { suitesNeeding, TEST_SERVICES, testFiles, testsInside } from './helpers/service-table.cjs';

/** The count test/global-setup.mjs prints when a service's variable is not set. */
describe('suites that need a service (test/helpers/service-table.cjs)', () => {
  it('counts the tests inside the describe helper only: it, test, it.only and each row of it.each', () => {
    const source = `
      describe('plain', () => { it('outside', () => undefined); });
      describeWithRedis('shared', (url) => {
        it('one', () => undefined);
        test.only('two', () => undefined);
        it.each([[1], [2], [3]])('rows %s', () => undefined);
        describe('nested', () => { it('four', () => undefined); beforeAll(() => undefined); });
      });
    `;
    expect(testsInside(source, 'describeWithRedis', ts)).toBe(6);
    expect(testsInside(source, 'describeWithNats', ts)).toBe(0);
  });

  it('finds every suite of the repository that uses a service helper', () => {
    const root = path.join(__dirname, '..');
    const files = testFiles(['common', 'gateway', 'subgraphs', 'scripts', 'test'].map((dir) => path.join(root, dir)));
    expect(files).toContain(__filename);
    for (const service of TEST_SERVICES) {
      const suites = suitesNeeding(service, files, ts).map((suite) => path.relative(root, suite.file));
      const users = files.filter((file) => file !== __filename && ts.sys.readFile(file)!.includes(`${service.helper}(`));
      expect(suites.sort()).toEqual(users.map((file) => path.relative(root, file)).sort());
    }
  });
});
