using System.ComponentModel;
using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace GanDsl;

/// <summary>
/// The random parameters of one augmentation draw, per sample: what <c>Augment(v)</c> applies. Drawn once, it can be
/// applied to several batches of the same shape (the real and the generated batch alike, <c>AugmentWith(v, draw)</c>).
/// </summary>
/// <remarks>
/// Images [B,C,H,W] get DiffAugment's reference policy <c>color,translation,cutout</c> (Zhao, Liu, Lin, Zhu &amp; Han
/// 2020, "Differentiable Augmentation for Data-Efficient GAN Training", and their <c>DiffAugment_pytorch.py</c>): per
/// sample a brightness shift U[-0.5, 0.5), a saturation factor U[0, 2), a contrast factor U[0.5, 1.5), a translation by
/// up to 1/8 of the image side in each direction with zeros shifted in, and a cutout square of half the image side,
/// set to zero, centred anywhere in the image. Point batches [B,D] (and any other value that is not 4-D: per-sample
/// values, features) get a jitter v + σ·n, n ~ N(0, 1) per element, σ = <see cref="PointJitter"/>. Every random number comes from the step's
/// <see cref="IStepRandom"/> (seeded from the
/// run's seed and saved in checkpoints), so a resumed run draws exactly what the uninterrupted one would have.
/// Every operation is differentiable in the batch (indexing, masking, affine maps), so G is trained through it.
/// Hidden from IntelliSense: generated code reaches it through <see cref="LossOps"/>; users write <c>Augment</c>.
/// </remarks>
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed class AugmentationDraw
{
    /// <summary>σ of the jitter applied to point batches [B,D] (the ring's modes have σ = 0.02, its radius is 2).</summary>
    public const double PointJitter = 0.05;

    /// <summary>DiffAugment's translation ratio: shifts of up to ⌊side/8 + ½⌋ pixels.</summary>
    public const double TranslationRatio = 0.125;

    /// <summary>DiffAugment's cutout ratio: a square of ⌊side/2 + ½⌋ pixels.</summary>
    public const double CutoutRatio = 0.5;

    private readonly long[] _shape;
    private readonly Tensor? _noise;                          // points: n, [B,D]
    private readonly Tensor? _brightness, _saturation, _contrast;   // images: [B,1,1,1]
    private readonly Tensor? _shiftRows, _shiftCols;          // images: [B,1,1] long, in [-s, s]
    private readonly Tensor? _cutRows, _cutCols;              // images: [B,1,1] long, the cutout's first row/column

    private AugmentationDraw(long[] shape, Tensor? noise, Tensor[]? image)
    {
        _shape = shape;
        _noise = noise;
        if (image is not null)
            (_brightness, _saturation, _contrast, _shiftRows, _shiftCols, _cutRows, _cutCols) =
                (image[0], image[1], image[2], image[3], image[4], image[5], image[6]);
    }

    /// <summary>
    /// Draws the parameters for batches shaped like <paramref name="like"/>: for an image batch [B,C,H,W] seven per-sample
    /// uniforms, in DiffAugment's order (brightness, saturation, contrast, row shift, column shift, cutout row, cutout
    /// column); for anything else one normal per element.
    /// </summary>
    public static AugmentationDraw Draw(IStepRandom random, Tensor like)
    {
        ArgumentNullException.ThrowIfNull(random);
        ArgumentNullException.ThrowIfNull(like);
        var shape = like.shape;
        var (dtype, device) = (like.dtype, like.device);
        switch (shape.Length)
        {
            case 4:
                {
                    var b = shape[0];
                    Tensor U() => random.PerSampleUniform(b, dtype, device);
                    var brightness = (U() - 0.5).view(b, 1, 1, 1);
                    var saturation = (U() * 2).view(b, 1, 1, 1);
                    var contrast = (U() + 0.5).view(b, 1, 1, 1);
                    var (h, w) = (shape[2], shape[3]);
                    var (sh, sw) = (Side(h, TranslationRatio), Side(w, TranslationRatio));
                    // torch.randint(-s, s + 1) from a uniform: ⌊u (2s + 1)⌋ - s.
                    var shiftRows = Integer(U(), 2 * sh + 1) - sh;
                    var shiftCols = Integer(U(), 2 * sw + 1) - sw;
                    var (ch, cw) = (Side(h, CutoutRatio), Side(w, CutoutRatio));
                    // DiffAugment: offset = randint(0, side + 1 - size % 2), cut rows offset - size/2 ... offset - size/2 + size - 1.
                    var cutRows = Integer(U(), h + 1 - ch % 2) - ch / 2;
                    var cutCols = Integer(U(), w + 1 - cw % 2) - cw / 2;
                    return new AugmentationDraw(shape, null, [brightness, saturation, contrast, shiftRows, shiftCols, cutRows, cutCols]);
                }
            default:
                return new AugmentationDraw(shape, random.ElementwiseNormal(shape, dtype, device), null);
        }
    }

    private static long Side(long size, double ratio) => (long)(size * ratio + 0.5);

    /// <summary>⌊u·n⌋ as [B,1,1] integers in [0, n).</summary>
    private static Tensor Integer(Tensor u, long n) => (u * n).floor().clamp_max(n - 1).to(ScalarType.Int64).view(-1, 1, 1);

    /// <summary>Applies the drawn transformation to <paramref name="v"/>, a batch of the shape it was drawn for.</summary>
    /// <exception cref="ArgumentException"><paramref name="v"/> has another shape (a shared draw needs batches of one shape).</exception>
    public Tensor Apply(Tensor v)
    {
        ArgumentNullException.ThrowIfNull(v);
        var shape = v.shape;
        if (!shape.SequenceEqual(_shape))
            throw new ArgumentException($"An augmentation drawn for batches of shape [{string.Join(", ", _shape)}] was applied to a batch of shape " +
                $"[{string.Join(", ", shape)}]: augmentations that share a draw need batches of one shape.", nameof(v));
        if (_noise is not null) return v + PointJitter * _noise;
        return Cutout(Translate(Colour(v)));
    }

    /// <summary>DiffAugment's rand_brightness, rand_saturation, rand_contrast, in that order.</summary>
    private Tensor Colour(Tensor v)
    {
        v = v + _brightness!;
        var channelMean = v.mean([1], keepdim: true);
        v = (v - channelMean) * _saturation! + channelMean;
        var imageMean = v.mean([1, 2, 3], keepdim: true);
        return (v - imageMean) * _contrast! + imageMean;
    }

    /// <summary>
    /// DiffAugment's rand_translation: out[b, c, i, j] = v[b, c, i + dᵢ, j + dⱼ], zero outside the image, gathered from
    /// the batch padded by one zero pixel (indices clamped onto the padding).
    /// </summary>
    private Tensor Translate(Tensor v)
    {
        var (b, c, h, w) = (_shape[0], _shape[1], _shape[2], _shape[3]);
        var device = v.device;
        var rows = (arange(h, ScalarType.Int64, device).view(1, h, 1) + _shiftRows! + 1).clamp(0, h + 1);
        var cols = (arange(w, ScalarType.Int64, device).view(1, 1, w) + _shiftCols! + 1).clamp(0, w + 1);
        var index = (rows * (w + 2) + cols).view(b, 1, h * w).expand(b, c, h * w);
        var padded = F.pad(v, [1, 1, 1, 1]).view(b, c, (h + 2) * (w + 2));
        return padded.gather(2, index).view(b, c, h, w);
    }

    /// <summary>DiffAugment's rand_cutout: zero a square of the drawn position (clipped at the border), every channel.</summary>
    private Tensor Cutout(Tensor v)
    {
        var (b, h, w) = (_shape[0], _shape[2], _shape[3]);
        var (ch, cw) = (Side(h, CutoutRatio), Side(w, CutoutRatio));
        var device = v.device;
        var rows = arange(h, ScalarType.Int64, device).view(1, h, 1);
        var cols = arange(w, ScalarType.Int64, device).view(1, 1, w);
        var inRows = rows.ge(_cutRows!).logical_and(rows.lt(_cutRows! + ch));
        var inCols = cols.ge(_cutCols!).logical_and(cols.lt(_cutCols! + cw));
        var keep = inRows.logical_and(inCols).logical_not().to(v.dtype).view(b, 1, h, w);
        return v * keep;
    }
}

/// <summary>
/// The augmentation draws of one step that the loss shares between batches, by number (<c>AugmentWith(v, draw)</c>):
/// the first use of a number draws, later uses in the same step apply the same transformation.
/// </summary>
/// <remarks>Hidden from IntelliSense: generated code's per-step state.</remarks>
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed class SharedAugmentations
{
    private readonly Dictionary<long, AugmentationDraw> _draws = new();

    /// <summary>The step's draw number <paramref name="draw"/>, drawn for batches like <paramref name="like"/> on first use.</summary>
    public AugmentationDraw Get(IStepRandom random, long draw, Tensor like)
    {
        if (!_draws.TryGetValue(draw, out var value))
            _draws[draw] = value = AugmentationDraw.Draw(random, like);
        return value;
    }
}
