import InsightsResult from './InsightsResult.jsx';
import ReviewResult from './ReviewResult.jsx';
import BriefResult from './BriefResult.jsx';

const VIEWS = { insights: InsightsResult, review: ReviewResult, brief: BriefResult };

/** The task's result, drawn for its example (raw JSON for anything else). */
export default function ResultView({ example, result }) {
  const View = VIEWS[example.id];
  return (
    <section className="result" data-testid="task-result">
      <h4>Result</h4>
      {View && result ? <View result={result} /> : <pre>{JSON.stringify(result, null, 2)}</pre>}
    </section>
  );
}
