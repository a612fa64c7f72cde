using System.Collections.Concurrent;
using System.ComponentModel;
using System.Runtime.CompilerServices;
using static TorchSharp.torch;

namespace GanDsl;

/// <summary>
/// Everything a generated step method reads: the real batch and its labels, the noise batches and the labels drawn
/// with them, the networks by name (a TorchSharp <c>nn.Module&lt;Tensor, Tensor&gt;</c>, or
/// <c>nn.Module&lt;Tensor, Tensor, Tensor&gt;</c> taking a batch and its labels for a conditional network) and the
/// source of random draws.
/// </summary>
public sealed class StepContext
{
    private readonly IReadOnlyDictionary<string, nn.Module> _networks;
    /// <summary>The dictionary the caller passed: the key of the checked-shapes cache.</summary>
    private readonly object _networksKey;
    private readonly Func<Tensor>? _noise2;
    private Tensor? _noise2Value;

    /// <param name="real">The batch of real samples, <c>x</c>.</param>
    /// <param name="noise">The noise batch, <c>z</c>.</param>
    /// <param name="networks">Every network the loss declares, by name (<c>"D"</c>, <c>"G"</c>, ...).</param>
    /// <param name="random">Source of the loss's own random draws.</param>
    /// <param name="noise2">Draws a second, independent noise batch <c>z2</c> on first use (Cramér GAN).</param>
    /// <exception cref="ArgumentNullException">A batch, the networks or the random source is null.</exception>
    public StepContext(Tensor real, Tensor noise, IReadOnlyDictionary<string, nn.Module<Tensor, Tensor>> networks, IStepRandom random,
        Func<Tensor>? noise2 = null)
        : this(real, noise, new ModuleView(networks ?? throw new ArgumentNullException(nameof(networks))), networks, random, noise2) { }

    /// <param name="real">The batch of real samples, <c>x</c>.</param>
    /// <param name="noise">The noise batch, <c>z</c>.</param>
    /// <param name="networks">
    /// Every network the loss declares, by name: an <c>nn.Module&lt;Tensor, Tensor&gt;</c>, or for a network the loss
    /// calls with labels (<c>D(x, y)</c>), an <c>nn.Module&lt;Tensor, Tensor, Tensor&gt;</c> taking the batch and its labels.
    /// </param>
    /// <param name="random">Source of the loss's own random draws.</param>
    /// <param name="noise2">Draws a second, independent noise batch <c>z2</c> on first use (Cramér GAN).</param>
    /// <exception cref="ArgumentNullException">A batch, the networks or the random source is null.</exception>
    public StepContext(Tensor real, Tensor noise, IReadOnlyDictionary<string, nn.Module> networks, IStepRandom random, Func<Tensor>? noise2 = null)
        : this(real, noise, networks, networks, random, noise2) { }

    private StepContext(Tensor real, Tensor noise, IReadOnlyDictionary<string, nn.Module> networks, object networksKey, IStepRandom random,
        Func<Tensor>? noise2)
    {
        ArgumentNullException.ThrowIfNull(real);
        ArgumentNullException.ThrowIfNull(noise);
        ArgumentNullException.ThrowIfNull(networks);
        ArgumentNullException.ThrowIfNull(random);
        Real = real;
        Noise = noise;
        _networks = networks;
        _networksKey = networksKey;
        Random = random;
        _noise2 = noise2;
    }

    /// <summary>
    /// The class labels of the real batch, <c>y</c>: int64, shape [B], values in [0, <see cref="ClassCount"/>); null for
    /// unlabelled data. Row i is the class of <see cref="Real"/>'s sample i.
    /// </summary>
    public Tensor? RealLabels { get; init; }

    /// <summary>
    /// The class labels drawn with the noise batch, <c>yz</c>: int64, shape [B], the classes the generator is asked for
    /// (drawn by the trainer from the data's class frequencies, or uniformly); null when the loss uses no labels.
    /// </summary>
    public Tensor? NoiseLabels { get; init; }

    /// <summary>The number of classes K of the data (class-logit outputs have K columns); 0 for unlabelled data.</summary>
    public int ClassCount { get; init; }

    /// <summary>
    /// Whether applications of one network may share a forward pass on concatenated batches where the generated
    /// code offers it (<see cref="LossOps.Forward(StepContext, nn.Module{Tensor, Tensor}, Tensor[])"/>; only for batch-independent networks). On by default;
    /// off gives
    /// the plain step, one pass per application, for comparisons.
    /// </summary>
    public bool ShareForwardPasses { get; init; } = true;

    /// <summary>Set by the trainer, which checks its networks and batches once at setup (<see cref="Validate"/> then costs nothing).</summary>
    internal bool CheckedAtSetup { get; init; }

    /// <summary>Batch shapes and networks already checked, per networks dictionary (a direct caller usually reuses one).</summary>
    private static readonly ConditionalWeakTable<object, ConcurrentDictionary<string, bool>> s_checked = new();

    /// <summary>
    /// Checks that the batches and networks fit <paramref name="info"/>'s loss, as the trainer's dry run does at
    /// setup (<see cref="NetworkCheck"/>): every declared network present, floating-point batches, each network
    /// taking its input and returning what the loss needs. Generated steps call it first; it runs the networks once
    /// per distinct set of shapes, element types and networks, and costs nothing in the trainer's steps.
    /// </summary>
    /// <exception cref="ArgumentException">Names the network or batch at fault, the expected and the actual shape or type.</exception>
    public void Validate(LossInfo info)
    {
        if (CheckedAtSetup) return;
        ArgumentNullException.ThrowIfNull(info);
        if (Real.dim() == 0 || Noise.dim() == 0)
            throw new ArgumentException($"The step context's {(Real.dim() == 0 ? "real batch (Real)" : "noise batch (Noise)")} is a 0-d tensor; batches " +
                "are [B, ...], one row per sample.");
        var key = string.Join("|", info.Name, NetworkCheck.Format(Real.shape), Real.dtype, NetworkCheck.Format(Noise.shape), Noise.dtype, Real.device,
            ClassCount,
            string.Join(",", info.Networks.Select(n => _networks.TryGetValue(n.Name, out var m) && m is not null ? RuntimeHelpers.GetHashCode(m) : 0)));
        var done = s_checked.GetOrCreateValue(_networksKey);
        if (done.ContainsKey(key)) return;
        NetworkCheck.Run(info, _networks, Real.shape[1..], Real.dtype, Noise.shape[1..], Noise.dtype, Real.device,
            "the real batch (StepContext.Real)", "the noise batch (StepContext.Noise)", ClassCount);
        done.TryAdd(key, true);
    }

    /// <summary>The real batch <c>x</c>.</summary>
    public Tensor Real { get; }

    /// <summary>The noise batch <c>z</c>.</summary>
    public Tensor Noise { get; }

    /// <summary>The second, independent noise batch <c>z2</c>, drawn on first use.</summary>
    public Tensor Noise2 => _noise2Value ??= _noise2?.Invoke()
        ?? throw new InvalidOperationException("This loss uses a second noise batch (z2), but the step context was built without one.");

    /// <summary>Source of the loss's random draws.</summary>
    public IStepRandom Random { get; }

    /// <summary>The augmentation draws this step shares between batches by number (<c>AugmentWith(v, draw)</c>).</summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public SharedAugmentations Augmentations { get; } = new();

    /// <summary>The network declared under <paramref name="name"/>, which the loss applies to a batch alone (<c>D(x)</c>).</summary>
    /// <exception cref="ArgumentException">The network is null, or it takes labels (an <c>nn.Module&lt;Tensor, Tensor, Tensor&gt;</c>).</exception>
    public nn.Module<Tensor, Tensor> Network(string name) => Module(name) switch
    {
        nn.Module<Tensor, Tensor> m => m,
        var m => throw new ArgumentException(
            $"The loss applies network '{name}' to a batch alone ({name}(v)), so it must be an nn.Module<Tensor, Tensor>; " +
            $"the step context's is a {m.GetType().Name}." +
            (m is nn.Module<Tensor, Tensor, Tensor> ? $" A module that takes labels is for a loss that calls {name}(v, y)." : "")),
    };

    /// <summary>The network declared under <paramref name="name"/>, which the loss applies to a batch and its labels (<c>D(x, y)</c>).</summary>
    /// <exception cref="ArgumentException">The network is null, or it takes no labels (not an <c>nn.Module&lt;Tensor, Tensor, Tensor&gt;</c>).</exception>
    public nn.Module<Tensor, Tensor, Tensor> ConditionalNetwork(string name) => Module(name) switch
    {
        nn.Module<Tensor, Tensor, Tensor> m => m,
        var m => throw new ArgumentException(
            $"The loss applies network '{name}' to a batch and its labels ({name}(v, y)), so it must be an nn.Module<Tensor, Tensor, Tensor> " +
            $"(batch, labels) -> output; the step context's is a {m.GetType().Name}, which takes no labels."),
    };

    /// <summary>The module declared under <paramref name="name"/>, whichever inputs it takes.</summary>
    private nn.Module Module(string name) =>
        _networks.TryGetValue(name, out var m) ? m ?? throw new ArgumentException($"The step context's network '{name}' is null; give it a module.")
        : throw new KeyNotFoundException($"The loss needs a network named '{name}', but the step context has only: {string.Join(", ", _networks.Keys)}.");

    /// <summary>
    /// Stops <paramref name="name"/>'s parameters from requiring gradients until the returned
    /// value is disposed: gradients still flow through the network to its input, but none are
    /// accumulated for the frozen parameters (and no backward work is spent on them).
    /// </summary>
    public IDisposable Freeze(string name) => new FrozenParameters(Module(name));

    private sealed class FrozenParameters : IDisposable
    {
        private readonly List<TorchSharp.Modules.Parameter> _frozen = new();

        public FrozenParameters(nn.Module module)
        {
            foreach (var p in module.parameters())
            {
                if (!p.requires_grad) continue;
                p.requires_grad = false;
                _frozen.Add(p);
            }
        }

        public void Dispose()
        {
            foreach (var p in _frozen) p.requires_grad = true;
            _frozen.Clear();
        }
    }

    /// <summary>A read-only view of a dictionary of single-input modules as modules (no copy per step).</summary>
    private sealed class ModuleView(IReadOnlyDictionary<string, nn.Module<Tensor, Tensor>> inner) : IReadOnlyDictionary<string, nn.Module>
    {
        public nn.Module this[string key] => inner[key];
        public IEnumerable<string> Keys => inner.Keys;
        public IEnumerable<nn.Module> Values => inner.Values;
        public int Count => inner.Count;
        public bool ContainsKey(string key) => inner.ContainsKey(key);
        public bool TryGetValue(string key, [System.Diagnostics.CodeAnalysis.MaybeNullWhen(false)] out nn.Module value)
        {
            var found = inner.TryGetValue(key, out var m);
            value = m!;
            return found;
        }
        public IEnumerator<KeyValuePair<string, nn.Module>> GetEnumerator() =>
            inner.Select(kv => new KeyValuePair<string, nn.Module>(kv.Key, kv.Value)).GetEnumerator();
        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
    }
}
