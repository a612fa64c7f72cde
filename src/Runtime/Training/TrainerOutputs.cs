using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using GanDsl.Data;
using GanDsl.Formats;
using GanDsl.Imaging;
using static TorchSharp.torch;

namespace GanDsl.Training;

public sealed partial class Trainer
{
    /// <summary>Pictures of the run's progress: fixed noise (so successive pictures compare) and, for 2D data, fixed real points.</summary>
    private sealed class PictureSampler : IDisposable
    {
        private readonly Trainer _trainer;
        private readonly Generator _random;
        private readonly Tensor _initialState;
        private readonly float[]? _real;
        private readonly PlotFrame? _range;
        private readonly int _count;
        private readonly long[]? _labels;

        public PictureSampler(Trainer trainer)
        {
            _trainer = trainer;
            var seed = unchecked((ulong)trainer._options.Seed);
            _random = NewGenerator(Xoshiro256.DeriveSeed(seed, PictureNoiseStream), trainer._device);
            _initialState = _random.get_state();
            var flat2D = trainer._dataset.SampleShape is [2];
            _count = flat2D ? 2000 : 64;
            // A conditional generator is drawn for every class: coloured by class on 2-D data, a grid row per class of images.
            if (trainer._sampleNetwork.TakesLabels && ClassCountOf(trainer._dataset) is var classes and > 0)
            {
                var rows = Math.Min(classes, Sampling.GridClasses);
                _labels = flat2D ? Sampling.ClassCycle(_count, classes) : Sampling.ClassCycle(_count = rows * Sampling.GridColumns, rows, cycle: false);
            }
            if (flat2D)
            {
                var n = (int)Math.Min(2000, trainer._dataset.Count ?? 2000);
                try { _real = trainer._dataset.CreateSampler(n, Xoshiro256.DeriveSeed(seed, PictureDataStream)).Next().Data; }
                catch (Exception e) when (UserCodeException.IsFenced(e))
                {
                    throw UserCodeException.Threw(trainer._dataset.GetType(), nameof(IBatchSampler.NextTensor), e,
                        $"drawing the real samples of the data '{trainer._dataset.Name}' for the pictures");
                }
                _range = ScatterPlot.FrameFor(_real);
            }
        }

        /// <summary>The real points drawn for plots (2D data), or null.</summary>
        public float[]? Real => _real;

        /// <summary>The plot range fixed by the real points (2D data), or null.</summary>
        public PlotFrame? Range => _range;

        public void Write(long step)
        {
            if (!_trainer.PrepareOutputs()) return; // [data-parallel] running statistics averaged; rank 0 writes
            _random.set_state(_initialState); // the same noise every time
            var (data, shape) = Sampling.Generate(_trainer.CurrentSampler, _trainer._family.NoiseShape, _count, _random, _trainer._device, _labels);
            var path = Path.Combine(_trainer.OutputDirectory, $"samples_{step:D6}.png");
            if (Sampling.SavePicture(path, data, shape, _real, $"{_trainer._loss.Info.Name} step {step}", _range, _labels))
                _trainer._tensorBoard?.Image("samples", path, step);
        }

        public void Dispose()
        {
            _initialState.Dispose();
            _random.Dispose();
        }
    }

    /// <summary>The network samples come from: the EMA average when the run keeps one.</summary>
    private nn.Module CurrentSampler => _ema?.Average ?? SampleNetwork;

    /// <summary>The TensorBoard event log of the current <see cref="Run"/>, once it started.</summary>
    private TensorBoardLog? _tensorBoard;

    /// <summary>
    /// One CSV row per logging step: step, the losses, every term, the loss's state, seconds; the same values (all
    /// but step and seconds) as TensorBoard scalars tagged with the column names.
    /// </summary>
    private sealed class MetricsLog : IDisposable
    {
        private readonly CsvMetricsWriter _writer;
        private readonly TensorBoardLog? _tensorBoard;

        public MetricsLog(string path, IGanLoss loss, StepResult? critic, StepResult generator, bool append, long keepUpTo, TensorBoardLog? tensorBoard)
        {
            _tensorBoard = tensorBoard;
            // A resumed run's earlier final evaluation (extra columns on its last row) is dropped: the run evaluates again at its new end.
            if (append) RemoveEvaluationColumns(path);
            var columns = new List<string> { "step" };
            if (critic is not null) columns.Add("d_loss");
            columns.Add("g_loss");
            if (critic is not null) columns.AddRange(critic.Terms.Select(t => Column("d.", t.Key)));
            columns.AddRange(generator.Terms.Select(t => Column("g.", t.Key)));
            columns.AddRange(loss.State.Names.Select(n => Column("state.", n)));
            columns.Add("seconds");
            _writer = new CsvMetricsWriter(path, columns.Distinct().ToList(), append, keepUpTo);
        }

        private static string Column(string prefix, string name) =>
            prefix + new string(name.Select(c => c is ',' or '"' or '\n' or '\r' ? '_' : c).ToArray());

        public void Write(long step, StepResult? critic, StepResult generator, LossState state, double seconds)
        {
            var row = new Dictionary<string, double> { ["step"] = step, ["g_loss"] = generator.Loss, ["seconds"] = seconds };
            if (critic is not null)
            {
                row["d_loss"] = critic.Loss;
                foreach (var (k, v) in critic.Terms) row[Column("d.", k)] = v;
            }
            foreach (var (k, v) in generator.Terms) row[Column("g.", k)] = v;
            foreach (var n in state.Names) row[Column("state.", n)] = state[n];
            // A term a step did not report in the first logged row has no column: skip it rather than fail the run.
            foreach (var key in row.Keys.Where(k => !_writer.Columns.Contains(k)).ToList()) row.Remove(key);
            _writer.WriteRow(row);
            _tensorBoard?.Scalars(step, _writer.Columns.Where(c => c is not ("step" or "seconds") && row.ContainsKey(c)).Select(c =>
                KeyValuePair.Create(c, row[c])));
        }

        public void Dispose() => _writer.Dispose();
    }

    private void WriteFinalOutputs(PictureSampler pictures)
    {
        if (!PrepareOutputs()) return; // [data-parallel] running statistics averaged; rank 0 writes
        if (_options.FinalSampleCount > 0)
        {
            using var random = NewGenerator(Xoshiro256.DeriveSeed(unchecked((ulong)_options.Seed), FinalNoiseStream), _device);
            // A conditional generator's samples cycle through the classes; their labels go to samples_labels.npy.
            var labels = _sampleNetwork.TakesLabels && ClassCountOf(_dataset) is var classes and > 0 ? Sampling.ClassCycle(_options.FinalSampleCount,
                classes) : null;
            var (data, shape) = Sampling.Generate(CurrentSampler, _family.NoiseShape, _options.FinalSampleCount, random, _device, labels);
            NpyFile.Write(Path.Combine(OutputDirectory, "samples.npy"), data, shape);
            if (labels is not null) NpyFile.WriteInt64(Path.Combine(OutputDirectory, "samples_labels.npy"), labels, [labels.Length]);
            Sampling.SavePicture(Path.Combine(OutputDirectory, "samples.png"), data, shape, pictures.Real,
                $"{_loss.Info.Name} step {_step}", pictures.Range, labels);
            EvaluateImages(data, shape, labels);
        }
        WriteLossPlot();
    }

    // ------------------------------------------------------------ image evaluation (docs/evaluation.md)

    /// <summary>The evaluation of the final samples (Fashion-MNIST runs with at least 2 final samples), or null.</summary>
    public Evaluation.ImageEvaluation? Evaluation { get; private set; }

    /// <summary>Why the final samples of a Fashion-MNIST run were not evaluated (non-finite samples, no feature network), or null.</summary>
    public string? EvaluationProblem { get; private set; }

    /// <summary>The columns the final evaluation adds to metrics.csv (values on the last row only).</summary>
    internal static readonly string[] EvaluationColumns = ["fid", "kid", "kid_std", "precision", "recall", "classes_covered", "class_tv", "eval_samples"];

    /// <summary>
    /// On Fashion-MNIST, measures the final samples against the test split (<see cref="Evaluation.ImageEvaluator"/>):
    /// writes evaluation.json and adds the measures to metrics.csv's last row. A problem is recorded, not thrown: the
    /// run itself succeeded. A conditional generator's final samples carry their <paramref name="labels"/> (every class in
    /// turn, so 1,000 per class at the default 10,000), and the same images are also measured class by class.
    /// </summary>
    private void EvaluateImages(float[] data, long[] shape, long[]? labels)
    {
        if (_dataset.Name != "fashion-mnist" || shape[0] < 2) return;
        try
        {
            var folder = _options.FashionMnistPath is { } p ? Path.GetDirectoryName(Path.GetFullPath(p)) : null;
            var evaluator = GanDsl.Evaluation.ImageEvaluator.Shared(folder);
            var result = evaluator.Evaluate(data, shape, source: "the final samples");
            if (labels is not null)
            {
                // Too few final samples for two of every class (TrainOptions.FinalSampleCount < 20) leaves the class measures
                // out with a warning; the measures above stand.
                try { result = result with { Conditional = evaluator.EvaluateByClass(data, shape, labels, "the final samples") }; }
                catch (GanDsl.Evaluation.SampleFormatException e)
                {
                    result = result with { Warnings = [.. result.Warnings, $"no class measures: {e.Message}"] };
                }
            }
            Evaluation = result;
            AtomicFile.WriteAllBytes(Path.Combine(OutputDirectory, "evaluation.json"), System.Text.Encoding.UTF8.GetBytes(result.ToJson()));
            AppendEvaluationToMetrics(Path.Combine(OutputDirectory, "metrics.csv"), result);
            _tensorBoard?.Scalars(_step, result.Columns.Select(c => KeyValuePair.Create("eval/" + c.Name, c.Value)));
        }
        catch (Exception e) when (e is GanDsl.Evaluation.SampleFormatException or GanDsl.Evaluation.FeatureNetworkException or DataFileException)
        {
            EvaluationProblem = e.Message;
        }
    }

    /// <summary>Adds the evaluation columns to metrics.csv: empty on every row but the last, which gets the values.</summary>
    private static void AppendEvaluationToMetrics(string path, Evaluation.ImageEvaluation result)
    {
        if (!File.Exists(path)) return;
        RemoveEvaluationColumns(path);
        var lines = File.ReadAllLines(path).Where(l => l.Length > 0).ToList();
        if (lines.Count < 2) return;
        var values = result.Columns.ToDictionary(c => c.Name, c => c.Value);
        lines[0] += "," + string.Join(",", EvaluationColumns);
        for (var i = 1; i < lines.Count; i++)
            lines[i] += i == lines.Count - 1
                ? "," + string.Join(",", EvaluationColumns.Select(c => CsvMetricsWriter.Format(values[c])))
                : new string(',', EvaluationColumns.Length);
        AtomicFile.WriteAllBytes(path, System.Text.Encoding.UTF8.GetBytes(string.Join("\n", lines) + "\n"));
    }

    /// <summary>Removes the evaluation columns a previous final evaluation added to metrics.csv, if any.</summary>
    private static void RemoveEvaluationColumns(string path)
    {
        if (!File.Exists(path)) return;
        var lines = File.ReadAllLines(path).ToList();
        if (lines.Count == 0) return;
        var header = lines[0].Split(',');
        var suffix = "," + string.Join(",", EvaluationColumns);
        if (!lines[0].EndsWith(suffix, StringComparison.Ordinal)) return;
        var keep = header.Length - EvaluationColumns.Length;
        var trimmed = lines.Where(l => l.Length > 0).Select(l => string.Join(",", l.Split(',').Take(keep)));
        AtomicFile.WriteAllBytes(path, System.Text.Encoding.UTF8.GetBytes(string.Join("\n", trimmed) + "\n"));
    }

    /// <summary>
    /// Plots every loss and term of metrics.csv (d_loss, g_loss, d.Gp, ...; not the loss state or the evaluation) on a
    /// symmetric-log axis, so one spike does not flatten the rest. Read from the file, so a resumed run's plot
    /// covers the whole run.
    /// </summary>
    private void WriteLossPlot()
    {
        var path = Path.Combine(OutputDirectory, "metrics.csv");
        if (!File.Exists(path)) return;
        var lines = File.ReadAllLines(path).Where(l => l.Length > 0).ToArray();
        if (lines.Length < 2) return;
        var header = lines[0].Split(',');
        var stepColumn = Array.IndexOf(header, "step");
        var rows = lines.Skip(1).Select(l => l.Split(',')).Where(cells => cells.Length == header.Length).ToList();
        static double Cell(string text) => text.Length == 0 ? double.NaN : double.Parse(text, CultureInfo.InvariantCulture);
        var xs = rows.Select(r => Cell(r[stepColumn])).ToList();
        var series = new List<Series>();
        for (var index = 0; index < header.Length; index++)
        {
            var column = header[index];
            if (!(column is "d_loss" or "g_loss" || column.StartsWith("d.", StringComparison.Ordinal)
                || column.StartsWith("g.", StringComparison.Ordinal))) continue;
            var label = column switch { "d_loss" => "d_loss (discriminator)", "g_loss" => "g_loss (generator)", _ => column };
            series.Add(new Series(label, xs, rows.Select(r => Cell(r[index])).ToList()));
        }
        if (series.Count == 0) return;
        LinePlot.Save(Path.Combine(OutputDirectory, "losses.png"), series, new LinePlotOptions
        {
            Title = $"{_loss.Info.Name} losses and terms, step {_step}",
            YTitle = "value (symlog: linear in ±1, log beyond)",
            SymmetricLog = true,
        });
    }

    /// <summary>The resolved configuration: every option with the default it took, the loss's settings and the networks.</summary>
    private void WriteConfig()
    {
        var info = _loss.Info;
        var o = _options;
        var config = new JsonObject
        {
            ["loss"] = info.Name,
            ["lossType"] = info.TypeName,
            ["summary"] = info.Summary,
            ["discriminatorLoss"] = info.DiscriminatorExpression,
            ["generatorLoss"] = info.GeneratorExpression,
            ["hyperparameters"] = ToJson(_loss.Hyper.Snapshot()),
            ["state"] = ToJson(_loss.State.Snapshot()),
            ["criticSteps"] = info.HasCritic ? info.CriticSteps : 0,
            ["clipping"] = new JsonArray(info.Clipping.Select(c => (JsonNode)new JsonObject
            {
                ["network"] = c.Network, ["min"] = c.Min,
                ["max"] = c.Max
            }).ToArray()),
            ["model"] = _family.Name,
            ["data"] = _dataKey,
            ["sampleShape"] = new JsonArray(_dataset.SampleShape.Select(d => (JsonNode)d).ToArray()),
            ["noiseShape"] = new JsonArray(_family.NoiseShape.Select(d => (JsonNode)d).ToArray()),
            ["batchSize"] = _batchSize,
            ["steps"] = o.Steps,
            ["seed"] = o.Seed,
            ["device"] = _device.ToString(),
            ["threads"] = _threads,
            ["ompWaitPolicy"] = Libtorch.WaitPolicy,
            ["mklFastPath"] = MklFastPath.Describe(),
            ["ema"] = o.Ema,
            ["checkpointEvery"] = o.CheckpointEvery,
            ["sampleEvery"] = o.SampleEvery,
            ["logEvery"] = o.LogEvery,
            ["resumedFromStep"] = o.Resume ? _step : null,
            ["labelsFile"] = o.Labels is { } labelsFile ? Path.GetFullPath(labelsFile) : null,
            ["classCount"] = _labels?.ClassCount,   // conditional losses: K, and where yz is drawn from
            ["noiseLabels"] = _labels is null ? null : o.NoiseLabels.ToString(),
            ["networks"] = new JsonArray(info.Networks.Select(n =>
            {
                var opt = _criticOptimizers.Concat(_generatorOptimizers).FirstOrDefault(x => x.Network == n.Name);
                var node = new JsonObject
                {
                    ["name"] = n.Name,
                    ["role"] = n.Role.ToString(),
                    ["output"] = n.Output.ToString(),
                    ["parameters"] = _networks[n.Name].parameters().Sum(p => p.numel()),
                };
                if (opt?.Settings is { Kind: "adam" } adam)
                    node["optimizer"] = new JsonObject { ["kind"] = "adam", ["lr"] = adam.LearningRate, ["beta1"] = adam.Beta1, ["beta2"] = adam.Beta2 };
                else if (opt?.Settings is { Kind: "rmsprop" } rms)
                    node["optimizer"] = new JsonObject { ["kind"] = "rmsprop", ["lr"] = rms.LearningRate, ["alpha"] = rms.Alpha };
                return (JsonNode)node;
            }).ToArray()),
        };
        // Relaxed escaping keeps formulas readable ("+" rather than "\u002B"); the file is never embedded in HTML.
        var text = config.ToJsonString(new JsonSerializerOptions
        {
            WriteIndented = true,
            Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping
        });
        AtomicFile.WriteAllBytes(Path.Combine(OutputDirectory, "config.json"), System.Text.Encoding.UTF8.GetBytes(text + "\n"));
    }

    private static JsonObject ToJson(IReadOnlyDictionary<string, double> values)
    {
        var o = new JsonObject();
        foreach (var (k, v) in values) o[k] = v;
        return o;
    }
}
