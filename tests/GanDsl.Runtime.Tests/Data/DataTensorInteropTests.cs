using GanDsl.Data;
using GanDsl.Imaging;
using GanDsl.Runtime.Tests.Imaging;
using TorchSharp;
using static TorchSharp.torch;

namespace GanDsl.Runtime.Tests.Data;

/// <summary>The TorchSharp bridges of the data and imaging layers (src/Runtime/Data/TensorInterop.cs, Imaging/TensorInterop.cs).</summary>
public class DataTensorInteropTests
{
    [Fact]
    public void Batch_ToTensorKeepsShapeAndValues()
    {
        Batch batch = GaussianMixture2D.Ring().CreateSampler(16, 3).Next();
        using Tensor t = batch.ToTensor();
        Assert.Equal(new long[] { 16, 2 }, t.shape);
        Assert.Equal(ScalarType.Float32, t.dtype);
        Assert.Equal(batch.Data, t.data<float>().ToArray());
        Assert.Equal(batch.Data, t.HostFloats());
    }

    [Fact]
    public void NpyFilesRoundTripThroughTensors()
    {
        using var dir = new TempDirectory();
        string path = dir.File("t.npy");
        float[] values = Enumerable.Range(0, 24).Select(i => i * 0.5f - 3f).ToArray();
        using (Tensor t = torch.tensor(values, [2, 3, 4]))
            t.SaveNpy(path);
        using Tensor back = DataTensorExtensions.LoadNpyTensor(path);
        Assert.Equal(new long[] { 2, 3, 4 }, back.shape);
        Assert.Equal(values, back.data<float>().ToArray());
    }

    [Fact]
    public void HostFloats_converts_float64_and_non_contiguous_tensors_and_detaches()
    {
        using var scope = torch.NewDisposeScope();
        var x = torch.arange(0, 6, 1, ScalarType.Float64).reshape(2, 3).requires_grad_(true);
        var transposed = (x * 1.0).t();   // non-contiguous, part of a graph
        Assert.Equal(new float[] { 0, 3, 1, 4, 2, 5 }, transposed.HostFloats());
        var npy = transposed.ToNpyArray();
        Assert.Equal(new long[] { 3, 2 }, npy.Shape);
    }

    [Fact]
    public void TensorPicturesDecode()
    {
        using var dir = new TempDirectory();
        using (Tensor images = torch.zeros([4, 1, 5, 5]))
            images.SaveImageGrid(dir.File("grid.png"));
        DecodedPng grid = DecodedPng.Decode(File.ReadAllBytes(dir.File("grid.png")));
        Assert.Equal((2 * 42 + 2, 2 * 42 + 2), (grid.Width, grid.Height)); // 5 × 5 images upscaled 8×
        Assert.Equal(((byte)128, (byte)128, (byte)128), grid.Pixel(2, 2)); // value 0 → mid grey

        using Tensor real = GaussianMixture2D.Ring().CreateSampler(50, 1).NextTensor();
        using Tensor wrong = torch.zeros([2, 3]);
        ImagingTensorExtensions.SaveScatterPlot(dir.File("s.png"), real, real);
        Assert.Equal(512 + ScatterPlot.LegendWidth, DecodedPng.Decode(File.ReadAllBytes(dir.File("s.png"))).Width);
        Assert.Contains("N × 2", Assert.Throws<ArgumentException>(() => ImagingTensorExtensions.SaveScatterPlot(dir.File("x.png"), real, wrong)).Message);
    }
}
