using Borealis.Redo;
using Borealis.Storage.Protocol;

namespace Borealis.Storage.Tests;

/// <summary>
/// The in-repo, seeded counterpart of the SharpFuzz target (fuzz/Borealis.Fuzz): mutated frame
/// streams must always get a verdict, never an exception, and unmutated ones decode fully.
/// </summary>
public class FrameDecoderFuzzTests
{
    private static byte[] ValidStream(Random rng, out int frames, out int records)
    {
        var ms = new MemoryStream();
        frames = 0;
        records = 0;
        for (int f = 0; f < 5; f++)
        {
            int count = rng.Next(1, 6);
            var recs = new MemoryStream();
            ulong lsn = (ulong)rng.Next(1, 1000);
            for (int i = 0; i < count; i++)
            {
                var rec = new byte[RedoRecord.HeaderSize + 2 + 40];
                var data = new byte[40];
                rng.NextBytes(data);
                int n = PageApply.WriteBytesPayload(rec.AsSpan(RedoRecord.HeaderSize), 64, data);
                RedoRecord.Seal(rec, n, lsn, lsn - 1, 7, 0, 1, 3, RedoType.WriteBytes, i == count - 1 ? RedoFlags.Cpl : RedoFlags.None);
                recs.Write(rec);
                lsn++;
            }
            var hdr = new AppendHeader { Segment = new SegmentId(7, 0), VolumeEpoch = 1, RecordCount = (uint)count };
            var frame = new byte[Frame.HeaderSize + AppendHeader.Size + recs.Length];
            Frame.WriteHeader(frame, MessageType.Append, (ulong)f + 1);
            var w = new WireWriter(frame.AsSpan(Frame.HeaderSize));
            hdr.Write(ref w);
            w.Bytes(recs.ToArray());
            Frame.Seal(frame);
            ms.Write(frame);
            frames++;
            records += count;
        }
        return ms.ToArray();
    }

    [Fact]
    public void ValidStreamsDecodeFully()
    {
        var rng = new Random(42);
        var s = ValidStream(rng, out int frames, out int records);
        var v = FrameInspector.InspectStream(s);
        Assert.Equal(FrameError.None, v.FirstError);
        Assert.Equal(frames, v.Frames);
        Assert.Equal(records, v.Records);
    }

    [Fact]
    public void MutatedStreamsNeverThrow()
    {
        int seed = Environment.GetEnvironmentVariable("BOREALIS_SEED") is { } s ? int.Parse(s) : Random.Shared.Next();
        var rng = new Random(seed);
        for (int iter = 0; iter < 3000; iter++)
        {
            var buf = ValidStream(rng, out _, out _);
            switch (rng.Next(4))
            {
                case 0: buf[rng.Next(buf.Length)] ^= (byte)(1 << rng.Next(8)); break;
                case 1: buf = buf[..rng.Next(buf.Length)]; break;
                case 2: BitConverter.TryWriteBytes(buf.AsSpan(0, 4), rng.Next()); break;
                default: rng.NextBytes(buf.AsSpan(rng.Next(buf.Length))); break;
            }
            try
            {
                FrameInspector.InspectStream(buf);
            }
            catch (Exception e)
            {
                Assert.Fail($"seed {seed}, iteration {iter}: decoder threw {e}");
            }
        }
        // And all payload decoders on raw garbage of every type.
        for (int iter = 0; iter < 3000; iter++)
        {
            var garbage = new byte[rng.Next(0, 300)];
            rng.NextBytes(garbage);
            foreach (var t in Enum.GetValues<MessageType>())
                FrameInspector.TryDecodePayload(t, garbage, out _);
        }
    }
}
