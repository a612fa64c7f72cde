using System.Globalization;
using TorchSharp;
using static TorchSharp.torch;

namespace GanDsl.Verification;

/// <summary>Settings of a gradient check: sizes of the random networks and batches, seed, step and tolerance.</summary>
public sealed record GradientCheckOptions
{
    /// <summary>Seeds the networks' parameters, the batches, the state values and the step's random draws.</summary>
    public ulong Seed { get; init; } = 1;

    /// <summary>Samples per batch (x, z and z2).</summary>
    public int BatchSize { get; init; } = 4;

    /// <summary>Features of a real sample (and of a generated one).</summary>
    public int DataSize { get; init; } = 3;

    /// <summary>Features of a noise sample.</summary>
    public int NoiseSize { get; init; } = 2;

    /// <summary>Output features of a network declared with <c>NetworkOutput.Features</c>.</summary>
    public int FeatureSize { get; init; } = 3;

    /// <summary>
    /// K, the number of classes of a loss that reads labels (<c>y</c>, <c>yz</c>, class heads): labels are drawn uniformly
    /// from [0, K), a network the loss calls with labels gets the labels' one-hot appended to its input
    /// (<see cref="OneHotLabelNetwork"/>), a score network with H class heads returns 1 + H·K columns, a class-logits network K.
    /// </summary>
    public int ClassCount { get; init; } = 3;

    /// <summary>Hidden units of the random networks (one tanh layer: smooth, so finite differences converge).</summary>
    public int HiddenSize { get; init; } = 5;

    /// <summary>Step h of the central differences (f(θ+h) - f(θ-h)) / 2h, in float64.</summary>
    public double Step { get; init; } = 1e-6;

    /// <summary>Largest allowed error |analytic - numeric| / max(1, |analytic|, |numeric|).</summary>
    public double Tolerance { get; init; } = 1e-6;

    /// <summary>
    /// Builds the network for a declared network, in float64 (default: a one-hidden-layer tanh MLP of the sizes above,
    /// parameters drawn from the seed). Use it to check a loss with your own architecture, or to inject a fault in a test.
    /// For a network the loss calls with labels, the module built here gets the batch with the labels' one-hot appended
    /// (<see cref="GradientCheckShapes.In"/> counts the K one-hot columns).
    /// </summary>
    public Func<NetworkInfo, GradientCheckShapes, nn.Module<Tensor, Tensor>>? NetworkFactory { get; init; }
}

/// <summary>
/// The input and output widths a network of a gradient check must have (inputs are [batch, In]; for a network that takes
/// labels, In includes the K columns of their one-hot).
/// </summary>
/// <param name="In">Input features.</param>
/// <param name="Out">Output features (1 for a score network).</param>
public sealed record GradientCheckShapes(int In, int Out);

/// <summary>One compared element.</summary>
/// <param name="Loss">The loss's name.</param>
/// <param name="Step">"critic" or "generator".</param>
/// <param name="Check">"gradient" (the step's parameter gradient against finite differences of its loss), "double backward
/// of TERM" (the parameter gradient of a projection of the gradient TERM takes, against finite differences of that
/// projection), "constant" (a network the step does not train must get no gradient) or "error".</param>
/// <param name="Network">The network the parameter belongs to.</param>
/// <param name="Parameter">The parameter's name in the network.</param>
/// <param name="Index">The element's index in the parameter.</param>
/// <param name="Analytic">What backward computed.</param>
/// <param name="Numeric">The central finite difference (0 for a "constant" row).</param>
/// <param name="Error">|analytic - numeric| / max(1, |analytic|, |numeric|).</param>
/// <param name="Passed">Error within the tolerance.</param>
/// <param name="Note">What went wrong when the step could not run.</param>
public sealed record GradientCheckRow(string Loss, string Step, string Check, string Network, string Parameter, string Index,
    double Analytic, double Numeric, double Error, bool Passed, string? Note = null);

/// <summary>Every element a gradient check compared, and the verdict.</summary>
public sealed class GradientCheckReport(string loss, double tolerance, IReadOnlyList<GradientCheckRow> rows)
{
    /// <summary>The loss's name.</summary>
    public string Loss { get; } = loss;

    /// <summary>The tolerance the rows were judged by.</summary>
    public double Tolerance { get; } = tolerance;

    /// <summary>Every compared element.</summary>
    public IReadOnlyList<GradientCheckRow> Rows { get; } = rows;

    /// <summary>True when every element is within tolerance.</summary>
    public bool Passed => Rows.Count > 0 && Rows.All(r => r.Passed);

    /// <summary>The <paramref name="count"/> rows with the largest errors (failures first).</summary>
    public IReadOnlyList<GradientCheckRow> Worst(int count) =>
        Rows.OrderBy(r => r.Passed).ThenByDescending(r => double.IsNaN(r.Error) ? double.PositiveInfinity : r.Error).Take(count).ToList();

    /// <summary>A table of the worst rows and a one-line verdict.</summary>
    public void Print(TextWriter writer, int worst = 8)
    {
        ArgumentNullException.ThrowIfNull(writer);
        var ci = CultureInfo.InvariantCulture;
        var rows = Worst(worst);
        // The check column is as wide as its longest entry: a double-backward row names the whole gradient term.
        var width = rows.Select(r => r.Check.Length).DefaultIfEmpty(0).Max();
        var name = Math.Max(14, Loss.Length);
        writer.WriteLine($"{"loss".PadRight(name)} {"step",-9} {"check".PadRight(width)} {"network",-7} {"parameter",-14} {"index",-7} {"analytic",14} " +
            $"{"numeric",14} {"error",8}  ok");
        foreach (var r in rows)
        {
            if (r.Note is not null)
            {
                writer.WriteLine($"{r.Loss.PadRight(name)} {r.Step,-9} {r.Check.PadRight(width)} {r.Network,-7} {"-",-14} {"-",-7} {"-",14} {"-",14} " +
                    $"{"-",8}  FAIL  {r.Note}");
                continue;
            }
            writer.WriteLine(string.Format(ci, "{0} {1,-9} {2} {3,-7} {4,-14} {5,-7} {6,14:G6} {7,14:G6} {8,8:0.0e+0}  {9}",
                r.Loss.PadRight(name), r.Step, r.Check.PadRight(width), r.Network, r.Parameter, r.Index, r.Analytic, r.Numeric, r.Error,
                    r.Passed ? "ok" : "FAIL"));
        }
        writer.WriteLine(Summary);
    }

    /// <summary>One line: how many elements were compared, the worst error, passed or failed.</summary>
    public string Summary
    {
        get
        {
            var ci = CultureInfo.InvariantCulture;
            var gradient = Rows.Count(r => r.Check == "gradient");
            var second = Rows.Count(r => r.Check.StartsWith("double backward", StringComparison.Ordinal));
            var worst = Rows.Where(r => !double.IsNaN(r.Error)).Select(r => r.Error).DefaultIfEmpty(double.NaN).Max();
            var failed = Rows.Count(r => !r.Passed);
            return string.Format(ci, "{0}: {1} gradient elements, {2} double-backward elements; worst error {3:0.0e+0} (tolerance {4:0e+0}): {5}",
                Loss, gradient, second, worst, Tolerance, failed == 0 && Rows.Count > 0 ? "passed" : $"FAILED ({failed} of {Rows.Count})");
        }
    }
}

/// <summary>
/// Checks a loss's generated steps numerically: runs its critic and generator steps in float64 on small random networks
/// and batches (seeded) and compares every parameter-gradient element backward computed with the central finite
/// difference of the step's loss value; for each gradient the step takes (<c>Grad</c>, the penalties), also compares
/// the parameter gradient of a fixed random projection of it (the double backward) with finite differences.
/// </summary>
/// <remarks>
/// <para>Each evaluation starts from the same state: parameters restored, gradients zeroed, state variables set to their
/// initial values moved by a seeded draw u in [0, 1) (<see cref="Perturbed"/>: so terms a state multiplies, BEGAN's
/// k·L(G(z)), are not zero, and a state that is a fraction, top-k's kept share, stays one),
/// and the step's random draws (<c>Between</c>, <c>UniformPerSample</c>, <c>UniformLike</c>) from a generator re-seeded
/// each time, so every evaluation sees the same draws.</para>
/// <para>Only the networks a step trains are differentiated (critics in the critic step, the generator in the generator
/// step); the others must get no gradient at all (G(z) is a constant of the critic step). The loss's own hyperparameter
/// values are used and its state is put back afterwards.</para>
/// </remarks>
public static class GradientChecker
{
    /// <summary>
    /// A state value to check at, from its initial value and a draw u in [0, 1): 0.25 + u/2 where it starts at 0 (BEGAN's
    /// k, Fisher's λ, LeCam's anchors), else between half the initial value and the initial value (top-k's kept fraction
    /// 1 stays in (0, 1], a margin stays positive): a value of the range the loss was written for, away from its start.
    /// </summary>
    internal static double Perturbed(double initial, double u) => initial == 0 ? 0.25 + 0.5 * u : initial * (0.5 + 0.5 * u);

    /// <summary>Checks <paramref name="loss"/>; never throws for an error of the loss's code (it becomes a failed row).</summary>
    public static GradientCheckReport Check(IGanLoss loss, GradientCheckOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(loss);
        Libtorch.Load();   // libtorch's warnings (create_graph=True's among them) silenced as in training
        options ??= new GradientCheckOptions();
        var name = loss.Info.Name;
        var savedState = loss.State.Snapshot();
        var rows = new List<GradientCheckRow>();
        using var scope = torch.NewDisposeScope();
        Dictionary<string, nn.Module>? networks = null;
        try
        {
            var random = new torch.Generator(options.Seed);
            networks = loss.Info.Networks.ToDictionary(n => n.Name, n => Build(n, options, random), StringComparer.Ordinal);
            var x = torch.randn([options.BatchSize, options.DataSize], ScalarType.Float64, generator: random);
            var z = torch.randn([options.BatchSize, options.NoiseSize], ScalarType.Float64, generator: random);
            var z2 = torch.randn([options.BatchSize, options.NoiseSize], ScalarType.Float64, generator: random);
            var state = loss.Info.States.ToDictionary(s => s.Name, s =>
                Perturbed(s.Initial, torch.rand([1], ScalarType.Float64, generator: random).item<double>()));
            // Drawn last, and only for a loss that reads labels: every other loss sees the draws it always saw.
            var labels = loss.Info.UsesLabels
                ? new Labels(torch.randint(options.ClassCount, [options.BatchSize], ScalarType.Int64, generator: random),
                    torch.randint(options.ClassCount, [options.BatchSize], ScalarType.Int64, generator: random), options.ClassCount)
                : null;
            var run = new StepRunner(loss, networks, x, z, z2, state, options.Seed, labels);

            if (loss.Info.HasCritic) CheckStep(run, "critic", NetworkRole.Critic, options, rows);
            CheckStep(run, "generator", NetworkRole.Generator, options, rows);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            rows.Add(new GradientCheckRow(name, "-", "error", "-", "-", "-", double.NaN, double.NaN, double.NaN, false, $"{e.GetType().Name}: {e.Message}"));
        }
        finally
        {
            foreach (var (key, value) in savedState) loss.State[key] = value;
            if (networks is not null) foreach (var net in networks.Values) net.Dispose();
        }
        return new GradientCheckReport(name, options.Tolerance, rows);
    }

    private static void CheckStep(StepRunner run, string step, NetworkRole trained, GradientCheckOptions options, List<GradientCheckRow> rows)
    {
        var loss = run.Loss.Info.Name;
        var parameters = run.Loss.Info.Networks.Where(n => n.Role == trained)
            .SelectMany(n => run.Networks[n.Name].named_parameters().Select(p => (Network: n.Name, Name: p.name, Tensor: (Tensor)p.parameter)))
            .ToList();
        var keys = parameters.Select(p => Key(p.Network, p.Name)).ToList();

        StepOutcome analytic;
        try
        {
            analytic = run.Evaluate(step, parameters.Select(p => (Key(p.Network, p.Name), p.Tensor)).ToList());
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            rows.Add(new GradientCheckRow(loss, step, "error", "-", "-", "-", double.NaN, double.NaN, double.NaN, false,
                $"the step threw {e.GetType().Name}: {e.Message}"));
            return;
        }

        // Networks the step does not train: no gradient may reach them.
        foreach (var other in run.Loss.Info.Networks.Where(n => n.Role != trained))
            foreach (var (pname, p) in run.Networks[other.Name].named_parameters())
            {
                var g = analytic.Gradients.TryGetValue(Key(other.Name, pname), out var values) ? values : [];
                var worst = g.Length == 0 ? 0 : g.Select(Math.Abs).Max();
                var at = g.Length == 0 ? 0 : Array.FindIndex(g, v => Math.Abs(v) == worst);
                rows.Add(new GradientCheckRow(loss, step, "constant", other.Name, pname, Index(p, at), worst, 0, worst, worst == 0));
            }

        var h = options.Step;
        foreach (var (network, pname, tensor) in parameters)
        {
            var key = Key(network, pname);
            var grad = analytic.Gradients.TryGetValue(key, out var computed) && computed.Length > 0 ? computed : new double[tensor.numel()];
            var second = analytic.Projections;
            var count = (int)tensor.numel();
            for (var i = 0; i < count; i++)
            {
                var original = Get(tensor, i);
                Set(tensor, i, original + h);
                var plus = run.Evaluate(step, null);
                Set(tensor, i, original - h);
                var minus = run.Evaluate(step, null);
                Set(tensor, i, original);

                rows.Add(Compare(loss, step, "gradient", network, pname, Index(tensor, i), grad[i], (plus.Value - minus.Value) / (2 * h), options.Tolerance));
                for (var k = 0; k < second.Count; k++)
                {
                    if (k >= plus.ProjectionValues.Count || k >= minus.ProjectionValues.Count) break;
                    var numeric = (plus.ProjectionValues[k] - minus.ProjectionValues[k]) / (2 * h);
                    var a = second[k].Gradients.TryGetValue(key, out var pg) ? pg[i] : 0;
                    rows.Add(Compare(loss, step, "double backward of " + second[k].Term, network, pname, Index(tensor, i), a, numeric, options.Tolerance));
                }
            }
        }
    }

    private static string Key(string network, string parameter) => network + "/" + parameter;

    private static GradientCheckRow Compare(string loss, string step, string check, string network, string parameter, string index, double analytic,
        double numeric, double tolerance)
    {
        var error = Math.Abs(analytic - numeric) / Math.Max(1, Math.Max(Math.Abs(analytic), Math.Abs(numeric)));
        return new GradientCheckRow(loss, step, check, network, parameter, index, analytic, numeric, error, error <= tolerance);
    }

    /// <summary>The element's index as [row,col] for a matrix, [i] otherwise.</summary>
    private static string Index(Tensor t, int flat)
    {
        var shape = t.shape;
        if (shape.Length != 2) return $"[{flat}]";
        return string.Create(CultureInfo.InvariantCulture, $"[{flat / shape[1]},{flat % shape[1]}]");
    }

    private static double Get(Tensor t, int flat)
    {
        using var view = t.detach().view(-1);
        return view[flat].item<double>();
    }

    private static void Set(Tensor t, int flat, double value)
    {
        using var guard = torch.no_grad();
        using var view = t.detach().view(-1);
        view[flat] = value;
    }

    /// <summary>
    /// Scale of the default networks' parameters, N(0, (scale²/fan-in)): large enough that input gradients have norms above 1
    /// (a one-sided penalty such as WGAN-LP's is zero, and unchecked, below), small enough that tanh does not saturate.
    /// </summary>
    private const double WeightScale = 2.5;

    /// <summary>
    /// The network for <paramref name="info"/>: the factory's or the default MLP, wrapped to take labels
    /// (<see cref="OneHotLabelNetwork"/>) when the loss calls it with them.
    /// </summary>
    private static nn.Module Build(NetworkInfo info, GradientCheckOptions options, torch.Generator random)
    {
        var classes = options.ClassCount;
        var shapes = info.Output switch
        {
            NetworkOutput.Sample => new GradientCheckShapes(options.NoiseSize, options.DataSize),
            NetworkOutput.Score => new GradientCheckShapes(options.DataSize, 1 + info.ClassHeads * classes),
            NetworkOutput.Features => new GradientCheckShapes(options.DataSize, options.FeatureSize),
            NetworkOutput.ClassLogits => new GradientCheckShapes(options.DataSize, classes),
            _ => new GradientCheckShapes(options.DataSize, options.DataSize),
        };
        if (info.TakesLabels) shapes = shapes with { In = shapes.In + classes };
        var net = options.NetworkFactory is { } factory ? factory(info, shapes) : Mlp(shapes, options, random);
        return info.TakesLabels ? new OneHotLabelNetwork(net, classes) : net;
    }

    /// <summary>The default network: Linear(In, H) → tanh → Linear(H, Out), float64, parameters ~ N(0, WeightScale²/fan-in) from the seed.</summary>
    private static nn.Module<Tensor, Tensor> Mlp(GradientCheckShapes shapes, GradientCheckOptions options, torch.Generator random)
    {
        var net = nn.Sequential(
            ("0", nn.Linear(shapes.In, options.HiddenSize, dtype: ScalarType.Float64)),
            ("1", nn.Tanh()),
            ("2", nn.Linear(options.HiddenSize, shapes.Out, dtype: ScalarType.Float64)));
        using (torch.no_grad())
            foreach (var p in net.parameters())
            {
                var fanIn = p.dim() == 2 ? p.shape[1] : 1;
                p.copy_(torch.randn(p.shape, ScalarType.Float64, generator: random) * (WeightScale / Math.Sqrt(fanIn)));
            }
        return net;
    }

    /// <summary>The labels of a check of a loss that reads them: y (of x), yz (drawn with z) and K.</summary>
    private sealed record Labels(Tensor Real, Tensor Noise, int Classes);

    /// <summary>A step's loss value and, from the analytic evaluation, its parameter gradients and each Grad's projection gradients.</summary>
    private sealed record StepOutcome(double Value, Dictionary<string, double[]> Gradients, IReadOnlyList<Projection> Projections,
        IReadOnlyList<double> ProjectionValues);

    /// <summary>The k-th gradient a step took: its DSL text and the parameter gradients of Σ w ⊙ Grad (w fixed random weights).</summary>
    private sealed record Projection(string Term, Dictionary<string, double[]> Gradients);

    /// <summary>Runs one step from the same starting point every time (state, random draws, zeroed gradients).</summary>
    private sealed class StepRunner(IGanLoss loss, Dictionary<string, nn.Module> networks, Tensor x, Tensor z, Tensor z2,
        IReadOnlyDictionary<string, double> state, ulong seed, Labels? labels)
    {
        public IGanLoss Loss => loss;

        public Dictionary<string, nn.Module> Networks => networks;

        /// <summary>Runs the step; with <paramref name="trained"/> (the analytic pass) it also reads gradients.</summary>
        public StepOutcome Evaluate(string step, IReadOnlyList<(string Key, Tensor Tensor)>? trained)
        {
            using var scope = torch.NewDisposeScope();
            foreach (var net in networks.Values) net.zero_grad();
            foreach (var (name, initial) in state) loss.State[name] = initial;
            using var draws = new torch.Generator(seed + 1000);
            var context = new StepContext(x, z, networks, new GeneratorStepRandom(draws), () => z2)
            {
                RealLabels = labels?.Real, NoiseLabels = labels?.Noise, ClassCount = labels?.Classes ?? 0,
            };

            var projections = new List<Projection>();
            var values = new List<double>();
            var previous = LossOps.GradObserver;
            LossOps.GradObserver = (term, gradient) =>
            {
                // The same weights in every evaluation: drawn from a generator seeded by the gradient's position in the step.
                using var weightDraws = new torch.Generator(seed + 2000 + (ulong)values.Count);
                using var weights = torch.rand(gradient.shape, gradient.dtype, generator: weightDraws) - 0.5;
                using var projection = (gradient * weights).sum();
                values.Add(projection.item<double>());
                if (trained is null) return;
                // Only parameters the projection depends on (the step's frozen networks do not require grad).
                var used = trained.Where(t => t.Tensor.requires_grad).ToList();
                var byParameter = new Dictionary<string, double[]>(StringComparer.Ordinal);
                if (used.Count > 0 && projection.requires_grad)
                {
                    var grads = torch.autograd.grad([projection], used.Select(t => t.Tensor).ToList(), retain_graph: true, allow_unused: true);
                    for (var i = 0; i < used.Count; i++)
                        byParameter[used[i].Key] = Values(grads[i]) ?? new double[used[i].Tensor.numel()];
                }
                projections.Add(new Projection(term, byParameter));
            };
            double value;
            try
            {
                using var result = step == "critic" ? loss.DiscriminatorStep(context) : loss.GeneratorStep(context);
                value = result.Loss;
            }
            finally
            {
                LossOps.GradObserver = previous;
            }

            var gradients = new Dictionary<string, double[]>(StringComparer.Ordinal);
            foreach (var (name, net) in networks)
                foreach (var (pname, p) in net.named_parameters())
                {
                    using var g = p.grad;
                    gradients[Key(name, pname)] = Values(g) ?? [];
                }
            return new StepOutcome(value, gradients, projections, values);
        }

        /// <summary>A gradient's elements, or null for none (libtorch's undefined tensor for an unused input).</summary>
        private static double[]? Values(Tensor? t) =>
            t is null || t.IsInvalid ? null : t.detach().cpu().contiguous().to_type(ScalarType.Float64).data<double>().ToArray();
    }
}
