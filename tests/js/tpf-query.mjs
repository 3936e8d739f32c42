// Runs SPARQL queries with Comunica over a Triple Pattern Fragments interface and prints the answers.
// Usage: node tpf-query.mjs <fragments URL>  (stdin: {"name": "SPARQL query", ...}; stdout: JSON)
// Each answer is a list of solutions; a solution maps variable names to [termType, value, language, datatype].
import { QueryEngine } from '@comunica/query-sparql';

const source = process.argv[2];
let input = '';
for await (const chunk of process.stdin) input += chunk;
const queries = JSON.parse(input);
const engine = new QueryEngine();
const answers = {};
for (const [name, query] of Object.entries(queries)) {
  const stream = await engine.queryBindings(query, { sources: [{ type: 'qpf', value: source }], lenient: false });
  const solutions = [];
  for (const bindings of await stream.toArray()) {
    const solution = {};
    for (const [variable, term] of bindings) {
      solution[variable.value] = [
        term.termType,
        term.value,
        term.language || '',
        term.termType === 'Literal' ? term.datatype.value : '',
      ];
    }
    solutions.push(solution);
  }
  answers[name] = solutions;
}
process.stdout.write(JSON.stringify(answers));
