using System.Globalization;
using System.Text.Json;
using TorchSharp;
using static TorchSharp.torch;

namespace GanDsl.Verification;

/// <summary>One compared quantity of a golden check.</summary>
/// <param name="Loss">Canonical loss name of the entry.</param>
/// <param name="Quantity">What was compared (<c>d_loss</c>, <c>grad_d 0.weight[3,1]</c>, <c>state k_next</c>) or what failed.</param>
/// <param name="Expected">The file's value (for a tensor: the element with the largest error), or null for a failure with no value.</param>
/// <param name="Actual">The value the generated code computed.</param>
/// <param name="RelativeError">|actual - expected| / |expected| (the absolute error when expected is 0).</param>
/// <param name="Passed">Within 1e-9 relative or 1e-12 absolute.</param>
/// <param name="Note">Why a check failed without a value (unknown loss, exception), or a remark.</param>
public sealed record GoldenCheck(string Loss, string Quantity, double? Expected, double? Actual, double RelativeError, bool Passed, string? Note = null);

/// <summary>
/// <c>gan verify-golden FILE.json</c>: recomputes every loss a golden file names with the
/// generated loss code and compares values, gradients and state updates with the file.
/// </summary>
/// <remarks>
/// <para>For each entry: the file's networks are rebuilt exactly in float64
/// (<see cref="GoldenNetwork"/>); hyperparameters and state are set from <c>coefficients</c>
/// (matched by name, ignoring case and underscores: <c>lambda_k</c> is <c>LambdaK</c>; a state
/// variable wins over a hyperparameter of the same name); the random draws return the file's
/// <c>alpha</c>, <c>u</c> and <c>n</c>. Then <see cref="IGanLoss.DiscriminatorStep"/> runs once (d_loss,
/// grad_d, grad_d_aux, state after a critic step), the state is put back to the file's values and
/// <see cref="IGanLoss.GeneratorStep"/> runs with the same critic parameters (g_loss, grad_g), then
/// <see cref="IGanLoss.EndOfEpoch"/> (state such as MAGAN's margin) and the loss's weight clipping
/// (<c>aux.&lt;net&gt;_clamped</c>).</para>
/// <para>Exit codes: 0 every value within tolerance; 1 a value out of tolerance, a loss the project
/// does not have, or a loss that failed to run; 2 the file is missing or not in the golden format.</para>
/// </remarks>
public static class GoldenVerifier
{
    /// <summary>Relative tolerance of every comparison.</summary>
    public const double RelativeTolerance = 1e-9;

    /// <summary>Absolute tolerance, for values near zero.</summary>
    public const double AbsoluteTolerance = 1e-12;

    /// <summary>Verifies <paramref name="path"/> against the losses of <paramref name="registry"/>.</summary>
    /// <returns>The process exit code (0, 1 or 2; see the type's remarks).</returns>
    public static int Run(string path, TextWriter stdout, TextWriter stderr, LossRegistry registry)
    {
        GoldenFile file;
        try
        {
            file = GoldenFile.Load(path);
        }
        catch (GoldenFormatException e)
        {
            stderr.WriteLine($"verify-golden: {e.Message}");
            return 2;
        }

        var checks = Verify(file, registry);
        Print(checks, stdout);

        var failed = checks.Where(c => !c.Passed).ToList();
        var losses = checks.Select(c => c.Loss).Distinct().Count();
        if (failed.Count == 0)
        {
            // A gradient row stands for a whole parameter tensor: every element was compared, the worst is shown.
            stdout.WriteLine($"{Path.GetFileName(path)}: {checks.Count} quantities of {losses} losses (every element of each gradient), all within " +
                $"{RelativeTolerance:0e0} relative ({AbsoluteTolerance:0e0} absolute).");
            return 0;
        }
        stderr.WriteLine($"verify-golden: {Path.GetFileName(path)}: {failed.Count} of {checks.Count} checks failed, in " +
            $"{string.Join(", ", failed.Select(c => c.Loss).Distinct())}.");
        return 1;
    }

    /// <summary>Runs every entry of <paramref name="file"/> and returns one check per compared quantity.</summary>
    public static IReadOnlyList<GoldenCheck> Verify(GoldenFile file, LossRegistry registry)
    {
        Libtorch.Load();   // libtorch's warnings (create_graph=True's among them) silenced as in training
        var checks = new List<GoldenCheck>();
        foreach (var entry in file.Entries)
        {
            var before = checks.Count;
            try
            {
                VerifyEntry(file, entry, registry, checks);
            }
            catch (Exception e)
            {
                // libtorch errors (ExternalException) and shape errors of the generated code land here.
                checks.Add(Failure(entry.Name, "error", $"{e.GetType().Name}: {e.Message}"));
            }
            if (checks.Count == before) checks.Add(Failure(entry.Name, "entry", "the entry has no value this command knows how to check"));
        }
        return checks;
    }

    // ------------------------------------------------------------------ one entry

    private static void VerifyEntry(GoldenFile file, GoldenEntry entry, LossRegistry registry, List<GoldenCheck> checks)
    {
        if (!registry.Contains(entry.Name))
        {
            checks.Add(Failure(entry.Name, "loss", $"unknown loss: the project has no loss named '{entry.Name}' (it has: " +
                $"{string.Join(", ", registry.Names)})"));
            return;
        }
        var loss = registry.Create(entry.Name);

        if (loss.Info.UsesLabels && (file.ClassCount == 0 || !file.Labels.ContainsKey("y") || !file.Labels.ContainsKey("yz")))
        {
            checks.Add(Failure(entry.Name, "labels", "the loss reads class labels (y, yz), but the file has no inputs.y, inputs.yz and classes " +
                "(docs/golden-files.md, labels)"));
            return;
        }

        using var scope = torch.NewDisposeScope();
        var nets = file.Nets.ToDictionary(kv => kv.Key, kv => new GoldenNetwork(kv.Value), StringComparer.Ordinal);
        // A net with label_input takes (batch, labels) as the loss's D(x, y) does: its layers see [v, one_hot(label, K)].
        var modules = nets.ToDictionary(kv => kv.Key,
            kv => file.LabelledNets.Contains(kv.Key) ? new OneHotLabelNetwork(kv.Value, file.ClassCount) : (nn.Module)kv.Value, StringComparer.Ordinal);
        try
        {
            var mapping = MapNetworks(loss.Info, entry, nets.Keys);
            CheckLabelInputs(loss.Info, mapping, file.LabelledNets);
            var networks = mapping.ToDictionary(kv => kv.Key, kv => modules[kv.Value], StringComparer.Ordinal);
            var generatorName = loss.Info.Networks.Single(n => n.Role == NetworkRole.Generator).Name;
            var generator = nets[mapping[generatorName]];

            var x = Input(file, "x");
            var z = Input(file, "z");
            var z2 = file.Inputs.ContainsKey("z2") ? Input(file, "z2") : null;
            var y = file.Labels.TryGetValue("y", out var yValues) ? torch.tensor(yValues, ScalarType.Int64) : null;
            var yz = file.Labels.TryGetValue("yz", out var yzValues) ? torch.tensor(yzValues, ScalarType.Int64) : null;
            var (alpha, u, n) = RandomCoefficients(entry);
            var random = new GoldenStepRandom(alpha, u, n);
            StepContext NewContext() => new(x, z, networks, random, z2 is null ? null : () => z2)
            {
                RealLabels = y, NoiseLabels = yz, ClassCount = file.ClassCount,
            };

            var fileState = ApplyCoefficients(loss, entry);
            var terms = new List<KeyValuePair<string, double>>();

            // ---- critic step
            ZeroGrads(nets.Values);
            if (loss.Info.HasCritic)
            {
                var d = loss.DiscriminatorStep(NewContext());
                terms.AddRange(d.Terms);
                if (entry.DiscriminatorLoss is { } dExpected) checks.Add(Scalar(entry.Name, "d_loss", dExpected, d.Loss));
                if (entry.GradD is { } gradD)
                {
                    var critic = nets[entry.GradD.Network ?? entry.Critic!];
                    CompareGradient(entry.Name, "grad_d", gradD, critic, checks);
                }
                if (entry.GradDAux is { } gradAux)
                {
                    if (gradAux.Network is null || !nets.TryGetValue(gradAux.Network, out var auxNet))
                        checks.Add(Failure(entry.Name, "grad_d_aux", $"names no net of the file ('{gradAux.Network}')"));
                    else CompareGradient(entry.Name, $"grad_d_aux({gradAux.Network})", gradAux, auxNet, checks);
                }
                // LOSSES.md: the critic step uses G(z) as a constant, so no gradient reaches G.
                checks.Add(Scalar(entry.Name, "grad_d on G (constant G(z))", 0, MaxAbsGradient(generator)));
            }
            else if (entry.DiscriminatorLoss is not null || entry.GradD is not null)
            {
                checks.Add(Failure(entry.Name, "d_loss", "the file gives a critic step, but the project's loss has none"));
            }
            var stateAfterCritic = loss.State.Snapshot();

            // ---- generator step, with the critic parameters and the state d_loss saw
            foreach (var (name, value) in fileState) loss.State[name] = value;
            ZeroGrads(nets.Values);
            var g = loss.GeneratorStep(NewContext());
            terms.AddRange(g.Terms);
            if (entry.GeneratorLoss is { } gExpected) checks.Add(Scalar(entry.Name, "g_loss", gExpected, g.Loss));
            if (entry.GradG is { } gradG) CompareGradient(entry.Name, "grad_g", gradG, generator, checks);

            // ---- state after the step: critic-step updates, then the end-of-epoch rule (MAGAN)
            foreach (var (name, value) in stateAfterCritic) loss.State[name] = value;
            if (loss.Info.States.Any(s => s.Timing == StateUpdateTiming.EndOfEpoch)) loss.EndOfEpoch(NewContext());
            CompareState(entry, loss, checks);

            // ---- intermediate values the loss reports under the file's names (gp, M, ...)
            CompareTerms(entry, terms, checks);

            // ---- weight clipping after a critic step (WGAN, RWGAN)
            CompareClamped(entry, loss.Info, mapping, nets, checks);

            // A file that gives random coefficients expects the loss to draw them; one that never does computes something else.
            if (alpha is not null && random.PerSampleDraws == 0)
                checks.Add(Failure(entry.Name, "coefficients.alpha", "the file gives per-sample coefficients, but the loss drew none"));
            if (u is not null && random.ElementwiseDraws == 0)
                checks.Add(Failure(entry.Name, "coefficients.u", "the file gives per-element noise, but the loss drew none"));
            if (n is not null && random.NormalDraws == 0)
                checks.Add(Failure(entry.Name, "coefficients.n", "the file gives per-element normal noise, but the loss drew none"));
        }
        finally
        {
            foreach (var module in modules.Values.OfType<OneHotLabelNetwork>()) module.Dispose();
            foreach (var net in nets.Values) net.Dispose();
        }
    }

    /// <summary>A network the loss calls with labels must be a file net that takes them, and the other way round.</summary>
    private static void CheckLabelInputs(LossInfo info, Dictionary<string, string> mapping, IReadOnlySet<string> labelled)
    {
        foreach (var network in info.Networks)
        {
            var fileNet = mapping[network.Name];
            if (network.TakesLabels && !labelled.Contains(fileNet))
                throw new InvalidOperationException($"The loss calls {network.Name} with labels ({network.Name}(v, y)), but the file's net '{fileNet}' " +
                    "takes none: give it label_input \"one-hot\" and K more inputs (docs/golden-files.md).");
            if (!network.TakesLabels && labelled.Contains(fileNet))
                throw new InvalidOperationException($"The loss calls {network.Name} on a batch alone ({network.Name}(v)), but the file's net " +
                    $"'{fileNet}' takes labels (label_input): name a net without labels in the entry.");
        }
    }

    /// <summary>
    /// Which file net plays each network of the loss: the generator is the entry's <c>generator</c>, else the file's
    /// net of its name, else the file's <c>G</c>; the
    /// entry's <c>critic</c> plays the loss's critic of the same name, or its only critic, or the
    /// only critic the file has no net of that name for; other critics are the file's nets of the
    /// same name (ragan-aux's <c>A</c>).
    /// </summary>
    internal static Dictionary<string, string> MapNetworks(LossInfo info, GoldenEntry entry, IEnumerable<string> fileNets)
    {
        var available = new HashSet<string>(fileNets, StringComparer.Ordinal);
        var map = new Dictionary<string, string>(StringComparer.Ordinal);

        var generators = info.Networks.Where(n => n.Role == NetworkRole.Generator).ToList();
        if (entry.Generator is { } named)
        {
            if (generators.Count != 1)
                throw new InvalidOperationException($"The entry names the generator '{named}', but the loss has {generators.Count} generator networks.");
            if (!available.Contains(named))
                throw new InvalidOperationException($"The entry's generator '{named}' is not among the file's nets ({string.Join(", ", available)}).");
            map[generators[0].Name] = named;
            generators.Clear();
        }
        foreach (var g in generators)
        {
            if (available.Contains(g.Name)) map[g.Name] = g.Name;
            else if (generators.Count == 1 && available.Contains("G")) map[g.Name] = "G";
            else throw new InvalidOperationException($"The loss's generator network '{g.Name}' has no net in the file.");
        }

        var critics = info.Networks.Where(n => n.Role == NetworkRole.Critic).ToList();
        if (critics.Count == 0) return map;
        if (entry.Critic is null)
            throw new InvalidOperationException($"The entry names no critic, but the loss trains {string.Join(", ", critics.Select(c => c.Name))}.");
        if (!available.Contains(entry.Critic))
            throw new InvalidOperationException($"The entry's critic '{entry.Critic}' is not among the file's nets ({string.Join(", ", available)}).");

        var primary = critics.FirstOrDefault(c => c.Name == entry.Critic)
            ?? (critics.Count == 1 ? critics[0] : null)
            ?? (critics.Count(c => !available.Contains(c.Name)) == 1 ? critics.Single(c => !available.Contains(c.Name)) : null)
            ?? throw new InvalidOperationException($"Cannot tell which of the loss's critics ({string.Join(", ", critics.Select(c => c.Name))}) the " +
                $"file's '{entry.Critic}' plays.");
        map[primary.Name] = entry.Critic;
        foreach (var c in critics.Where(c => c != primary))
        {
            if (!available.Contains(c.Name))
                throw new InvalidOperationException($"The loss's critic network '{c.Name}' has no net of that name in the file.");
            map[c.Name] = c.Name;
        }
        return map;
    }

    /// <summary>Sets hyperparameters and state from the entry's numeric coefficients; returns the state values set.</summary>
    private static Dictionary<string, double> ApplyCoefficients(IGanLoss loss, GoldenEntry entry)
    {
        var stateSet = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var (key, value) in entry.Coefficients)
        {
            if (key is "alpha" or "u" or "n" || value.ValueKind != JsonValueKind.Number) continue;
            var v = value.GetDouble();
            var normalized = Normalize(key);
            var state = loss.State.Names.FirstOrDefault(n => Normalize(n) == normalized);
            if (state is not null)
            {
                loss.State[state] = v;
                stateSet[state] = v;
                continue;
            }
            var hyper = loss.Hyper.Names.FirstOrDefault(n => Normalize(n) == normalized);
            if (hyper is not null) loss.Hyper.Set(hyper, v);
            // Anything else (sigmas, clamp bounds) is a constant of the declaration: a different value shows as a mismatch.
        }
        return stateSet;
    }

    private static string Normalize(string name) => name.Replace("_", "", StringComparison.Ordinal).ToLowerInvariant();

    private static (double[]? Alpha, GoldenBatch? U, GoldenBatch? N) RandomCoefficients(GoldenEntry entry)
    {
        double[]? alpha = entry.Coefficients.TryGetValue("alpha", out var a) ? GoldenFile.ReadVector(a, $"{entry.Name}.coefficients.alpha") : null;
        return (alpha, Batch(entry, "u"), Batch(entry, "n"));
    }

    private static GoldenBatch? Batch(GoldenEntry entry, string key)
    {
        if (!entry.Coefficients.TryGetValue(key, out var element)) return null;
        var values = GoldenFile.ReadMatrix(element, $"{entry.Name}.coefficients.{key}", out var rows, out var cols);
        return new GoldenBatch(values, [rows, cols]);
    }

    private static Tensor Input(GoldenFile file, string name) =>
        file.Inputs.TryGetValue(name, out var batch)
            ? torch.tensor(batch.Values, batch.Shape, ScalarType.Float64)
            : throw new InvalidOperationException($"The file has no inputs.{name}.");

    // ------------------------------------------------------------------ comparisons

    private static void CompareGradient(string loss, string label, GoldenGradient expected, GoldenNetwork net, List<GoldenCheck> checks)
    {
        var layers = net.LayerParameters;
        if (layers.Count != expected.Layers.Count)
        {
            checks.Add(Failure(loss, label, $"the file has {expected.Layers.Count} layers, the net {layers.Count}"));
            return;
        }
        for (int i = 0; i < layers.Count; i++)
        {
            checks.Add(Elementwise(loss, $"{label} {i}.weight", expected.Layers[i].Weight, GradientValues(layers[i].Weight), expected.Layers[i].In));
            checks.Add(Elementwise(loss, $"{label} {i}.bias", expected.Layers[i].Bias, GradientValues(layers[i].Bias), 0));
        }
    }

    /// <summary>A parameter's gradient as an array; no gradient at all reads as zeros (as in PyTorch's accumulated sense).</summary>
    private static double[] GradientValues(Tensor parameter)
    {
        using var grad = parameter.grad;
        return grad is null ? new double[parameter.numel()] : grad.detach().cpu().data<double>().ToArray();
    }

    private static double MaxAbsGradient(GoldenNetwork net)
    {
        double max = 0;
        foreach (var p in net.parameters())
            foreach (var v in GradientValues(p)) max = Math.Max(max, Math.Abs(v));
        return max;
    }

    private static void CompareState(GoldenEntry entry, IGanLoss loss, List<GoldenCheck> checks)
    {
        foreach (var (key, value) in entry.Aux)
        {
            if (!key.EndsWith("_next", StringComparison.Ordinal) || value.ValueKind != JsonValueKind.Number) continue;
            var stateKey = Normalize(key[..^"_next".Length]);
            var state = loss.State.Names.FirstOrDefault(n => Normalize(n) == stateKey);
            if (state is null)
                checks.Add(Failure(entry.Name, $"state {key}",
                    $"the file gives a state update, but the loss has no state variable '{key[..^5]}' (it has: {string.Join(", ", loss.State.Names)})"));
            else
                checks.Add(Scalar(entry.Name, $"state {key}", value.GetDouble(), loss.State[state]));
        }
    }

    private static void CompareTerms(GoldenEntry entry, List<KeyValuePair<string, double>> terms, List<GoldenCheck> checks)
    {
        foreach (var (key, value) in entry.Aux)
        {
            if (value.ValueKind != JsonValueKind.Number || key.EndsWith("_next", StringComparison.Ordinal)) continue;
            // Matched like coefficients (case and underscores ignored: the file's gp is a loss's Gp).
            var term = terms.FirstOrDefault(t => Normalize(t.Key) == Normalize(key));
            if (term.Key is null) continue;   // intermediate values are optional; only those the loss reports are compared
            checks.Add(Scalar(entry.Name, $"aux {key}", value.GetDouble(), term.Value));
        }
    }

    private static void CompareClamped(GoldenEntry entry, LossInfo info, Dictionary<string, string> mapping, Dictionary<string, GoldenNetwork> nets,
        List<GoldenCheck> checks)
    {
        foreach (var (key, value) in entry.Aux)
        {
            if (!key.EndsWith("_clamped", StringComparison.Ordinal)) continue;
            var fileNet = key[..^"_clamped".Length];
            if (!nets.TryGetValue(fileNet, out var net))
            {
                checks.Add(Failure(entry.Name, $"aux {key}", $"names no net of the file ('{fileNet}')"));
                continue;
            }
            var lossNet = mapping.FirstOrDefault(kv => kv.Value == fileNet).Key;
            using (torch.no_grad())
                foreach (var clip in info.Clipping.Where(c => c.Network == lossNet))
                    foreach (var p in net.parameters()) p.clamp_(clip.Min, clip.Max);

            var layers = net.LayerParameters;
            var expected = value.EnumerateArray().ToList();
            if (expected.Count != layers.Count)
            {
                checks.Add(Failure(entry.Name, $"aux {key}", $"the file has {expected.Count} layers, the net {layers.Count}"));
                continue;
            }
            for (int i = 0; i < layers.Count; i++)
            {
                var pair = expected[i].EnumerateArray().ToList();
                var w = GoldenFile.ReadMatrix(pair[0], $"{entry.Name}.aux.{key}[{i}][0]", out _, out var cols);
                var b = GoldenFile.ReadVector(pair[1], $"{entry.Name}.aux.{key}[{i}][1]");
                checks.Add(Elementwise(entry.Name, $"clamped {fileNet} {i}.weight", w, layers[i].Weight.detach().data<double>().ToArray(), cols));
                checks.Add(Elementwise(entry.Name, $"clamped {fileNet} {i}.bias", b, layers[i].Bias.detach().data<double>().ToArray(), 0));
            }
        }
    }

    private static bool Within(double expected, double actual) =>
        Math.Abs(actual - expected) <= Math.Max(RelativeTolerance * Math.Abs(expected), AbsoluteTolerance);

    private static double RelativeError(double expected, double actual)
    {
        var diff = Math.Abs(actual - expected);
        return expected == 0 ? diff : diff / Math.Abs(expected);
    }

    private static GoldenCheck Scalar(string loss, string quantity, double expected, double actual) =>
        new(loss, quantity, expected, actual, RelativeError(expected, actual), double.IsFinite(actual) && Within(expected, actual));

    /// <summary>One row per tensor: the element furthest out of tolerance (or with the largest error when all pass).</summary>
    private static GoldenCheck Elementwise(string loss, string quantity, double[] expected, double[] actual, int columns)
    {
        if (expected.Length != actual.Length)
            return Failure(loss, quantity, $"the file has {expected.Length} values, the computation {actual.Length}");
        int worst = 0;
        double worstScore = double.NegativeInfinity;
        bool passed = true;
        for (int i = 0; i < expected.Length; i++)
        {
            var ok = double.IsFinite(actual[i]) && Within(expected[i], actual[i]);
            passed &= ok;
            // Score by how far past the tolerance the element is, so the printed element is the one that matters.
            var score = double.IsFinite(actual[i])
                ? Math.Abs(actual[i] - expected[i]) / Math.Max(RelativeTolerance * Math.Abs(expected[i]), AbsoluteTolerance)
                : double.PositiveInfinity;
            if (score > worstScore) { worstScore = score; worst = i; }
        }
        var index = columns > 0 ? $"[{worst / columns},{worst % columns}]" : $"[{worst}]";
        return new GoldenCheck(loss, quantity + index, expected[worst], actual[worst], RelativeError(expected[worst], actual[worst]), passed);
    }

    private static GoldenCheck Failure(string loss, string quantity, string note) =>
        new(loss, quantity, null, null, double.NaN, false, note);

    private static void ZeroGrads(IEnumerable<GoldenNetwork> nets)
    {
        foreach (var net in nets)
            net.zero_grad();
    }

    // ------------------------------------------------------------------ output

    private static void Print(IReadOnlyList<GoldenCheck> checks, TextWriter stdout)
    {
        var ci = CultureInfo.InvariantCulture;
        stdout.WriteLine($"{"loss",-14} {"quantity",-34} {"expected",24} {"actual",24} {"rel. error",10}  ok");
        foreach (var c in checks)
        {
            var status = c.Passed ? "ok" : "FAIL";
            if (c.Expected is null)
            {
                stdout.WriteLine($"{c.Loss,-14} {c.Quantity,-34} {"-",24} {"-",24} {"-",10}  {status}  {c.Note}");
                continue;
            }
            stdout.WriteLine(string.Format(ci, "{0,-14} {1,-34} {2,24:R} {3,24:R} {4,10:0.0e+0}  {5}",
                c.Loss, c.Quantity, c.Expected, c.Actual, c.RelativeError, status));
        }
    }
}
