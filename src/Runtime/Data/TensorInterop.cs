using GanDsl.Formats;
using TorchSharp;
using static TorchSharp.torch;

namespace GanDsl.Data;

/// <summary>Conversions between tensors and the host arrays that files, plots and 2-D metrics read.</summary>
public static class DataTensorExtensions
{
    /// <summary>The batch as a float32 tensor of <see cref="Batch.Shape"/> (copied) on <paramref name="device"/> (default CPU).</summary>
    public static Tensor ToTensor(this Batch batch, Device? device = null)
    {
        ArgumentNullException.ThrowIfNull(batch);
        return torch.tensor(batch.Data, batch.Shape, device: device);
    }

    /// <summary>Copies a tensor (any device, any floating dtype) into an <see cref="NpyArray"/> of float32 values.</summary>
    public static NpyArray ToNpyArray(this Tensor tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        return new NpyArray(tensor.HostFloats(), tensor.shape);
    }

    /// <summary>Writes a tensor's values as a float32 <c>.npy</c> file, atomically.</summary>
    public static void SaveNpy(this Tensor tensor, string path) => NpyFile.Write(path, tensor.ToNpyArray());

    /// <summary>Reads a float32 <c>.npy</c> file into a tensor on <paramref name="device"/>.</summary>
    public static Tensor LoadNpyTensor(string path, Device? device = null)
    {
        NpyArray array = NpyFile.Read(path);
        return torch.tensor(array.Data, array.Shape, device: device);
    }

    /// <summary>The tensor's elements as float32, row-major, copied to host memory.</summary>
    public static float[] HostFloats(this Tensor tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        using var host = tensor.detach().to(ScalarType.Float32).cpu().contiguous();
        return host.data<float>().ToArray();
    }
}
