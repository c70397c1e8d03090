namespace Borealis.Storage.Protocol;

/// <summary>Helpers to encode a fixed-size message into a fresh array for <see cref="NodeClient.RequestAsync"/> (control paths only).</summary>
public static class Encode
{
    public delegate void WriteAction(ref WireWriter w);

    public static byte[] ToArray(int size, WriteAction write)
    {
        var buf = new byte[size];
        var w = new WireWriter(buf);
        write(ref w);
        if (w.Position != size) throw new InvalidOperationException($"encoded {w.Position} bytes, expected {size}");
        return buf;
    }
}
