import { useEffect, useId, useRef, useState } from "react";
import { modelInfo, predict } from "./api.js";
import { EXAMPLES } from "./examples.js";

const percent = (p) => `${(p * 100).toFixed(1)}%`;

function ProbabilityBars({ probabilities, label }) {
  return (
    <ul className="bars" aria-label="Probability of each label">
      {Object.entries(probabilities).map(([name, p]) => (
        <li key={name} className={name === label ? "bar-row chosen" : "bar-row"}>
          <span className="bar-name" id={`bar-${name}`}>{name}</span>
          <div
            className={`bar bar-${name}`}
            role="meter"
            aria-labelledby={`bar-${name}`}
            aria-valuemin={0}
            aria-valuemax={100}
            aria-valuenow={Math.round(p * 100)}
            aria-valuetext={`${percent(p)} ${name}`}
          >
            <div className="bar-fill" style={{ width: percent(p) }} />
          </div>
          <span className="bar-value">{percent(p)}</span>
        </li>
      ))}
    </ul>
  );
}

export default function App() {
  const [text, setText] = useState("");
  const [result, setResult] = useState(null);
  const [error, setError] = useState(null);
  const [loading, setLoading] = useState(false);
  const [model, setModel] = useState(null);
  const textareaId = useId();
  const hintId = useId();
  const controller = useRef(null);

  useEffect(() => {
    modelInfo().then(setModel).catch(() => setModel(null));
  }, []);

  async function onSubmit(event) {
    event.preventDefault();
    controller.current?.abort();
    controller.current = new AbortController();
    setLoading(true);
    setError(null);
    setResult(null);
    try {
      setResult(await predict(text, controller.current.signal));
    } catch (err) {
      if (err.name !== "AbortError") setError(err.message);
    } finally {
      setLoading(false);
    }
  }

  function onKeyDown(event) {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) onSubmit(event);
  }

  return (
    <main className="page">
      <header>
        <h1>Is this review positive or negative?</h1>
        <p className="lead">
          Type or paste a movie review and a transformer fine-tuned on IMDb reviews will tell you its sentiment.
        </p>
      </header>

      <form onSubmit={onSubmit} aria-busy={loading}>
        <label htmlFor={textareaId} className="field-label">Your movie review</label>
        <textarea
          id={textareaId}
          name="review"
          rows={8}
          value={text}
          onChange={(e) => setText(e.target.value)}
          onKeyDown={onKeyDown}
          aria-describedby={hintId}
          placeholder="e.g. The plot was thin but the performances were wonderful..."
        />
        <p id={hintId} className="hint">
          {text.length.toLocaleString()} characters. Long reviews are shortened to their beginning and end.
          Press Ctrl+Enter to predict.
        </p>

        <fieldset className="examples">
          <legend>Or try an example</legend>
          {EXAMPLES.map((ex) => (
            <button key={ex.title} type="button" className="example" onClick={() => { setText(ex.text); setResult(null); setError(null); }}>
              {ex.title}
            </button>
          ))}
        </fieldset>

        <button type="submit" className="predict" disabled={loading}>
          {loading ? "Predicting…" : "Predict sentiment"}
        </button>
      </form>

      <section className="result" aria-live="polite" aria-label="Prediction">
        {loading && <p className="loading" role="status"><span className="spinner" aria-hidden="true" /> Asking the model…</p>}
        {error && (
          <div className="error" role="alert">
            <strong>Sorry, that did not work.</strong> {error}
          </div>
        )}
        {result && (
          <div className="answer">
            <p className="verdict">
              This review is <strong className={`label label-${result.label}`} data-testid="label">{result.label}</strong>{" "}
              <span className="confidence">({percent(result.score)} sure)</span>
            </p>
            <ProbabilityBars probabilities={result.probabilities} label={result.label} />
          </div>
        )}
      </section>

      <footer>
        {model ? (
          <p>
            Model: <code>{model.name}</code> ({model.architecture}); {model.quantization}; {model.size_mb} MB
            {model.test_accuracy != null && <>; IMDb test accuracy {percent(model.test_accuracy)}</>}.
          </p>
        ) : (
          <p>Model information is unavailable.</p>
        )}
        <p>Part of the open course “Transfer learning for sentiment analysis”. Predictions can be wrong.</p>
      </footer>
    </main>
  );
}
