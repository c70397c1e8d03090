using Borealis.Storage.Protocol;

namespace Borealis.Storage.Tests;

/// <summary>Restart from the hot log: acked records survive; a torn tail is cut; a corrupt record in the middle is skipped.</summary>
public class HotLogTests
{
    private static string LogFile(string dir) => Directory.GetFiles(Path.Combine(dir, "log"), "*.log").Order(StringComparer.Ordinal).First();

    private static async Task<(StorageNode Node, NodeClient Client)> OpenAsync(uint id, string dir, Membership? m = null)
    {
        var node = await TestKit.StartAsync(id, dir);
        var c = await TestKit.ConnectAsync(node);
        if (m is not null) await TestKit.EnsureAsync(c, TestKit.Seg(), m);
        return (node, c);
    }

    [Fact]
    public async Task RestartKeepsEveryAckedRecord()
    {
        string dir = TestKit.NewDir();
        var gen = new RecordGen(seed: 11);
        var (node, c) = await OpenAsync(1, dir, new Membership(1, []));
        for (int i = 0; i < 20; i++)
        {
            var ack = await TestKit.AppendAsync(c, TestKit.Seg(), gen.Batch(5));
            Assert.Equal(gen.LastLsn, ack.Scl);
        }
        await c.DisposeAsync();
        await node.DisposeAsync();

        (node, c) = await OpenAsync(1, dir);
        var st = await TestKit.StateAsync(c, TestKit.Seg());
        Assert.Equal(100UL, st.Scl);
        Assert.Equal(100UL, st.MaxLsn);
        Assert.Equal(1U, st.VolumeEpoch);
        // Resending acked records is idempotent.
        var again = await TestKit.AppendAsync(c, TestKit.Seg(), [gen.All[50].Record, gen.All[99].Record]);
        Assert.Equal(100UL, again.Scl);
        Assert.Equal(gen.Model(gen.All[99].Page, 100), await TestKit.GetPageAsync(c, TestKit.Seg(), gen.All[99].Page, 100));
        await c.DisposeAsync();
        await node.DisposeAsync();
        TestKit.TryDelete(dir);
    }

    [Fact]
    public async Task TornTailIsTruncatedAtTheLastValidRecord()
    {
        string dir = TestKit.NewDir();
        var gen = new RecordGen(seed: 12);
        var (node, c) = await OpenAsync(1, dir, new Membership(1, []));
        await TestKit.AppendAsync(c, TestKit.Seg(), gen.Batch(10));
        await c.DisposeAsync();
        await node.DisposeAsync();

        string file = LogFile(dir);
        long full = new FileInfo(file).Length;
        long lastLen = gen.All[9].Record.Length;
        using (var fs = new FileStream(file, FileMode.Open)) fs.SetLength(full - 7); // the last record is torn

        (node, c) = await OpenAsync(1, dir);
        var st = await TestKit.StateAsync(c, TestKit.Seg());
        Assert.Equal(9UL, st.Scl);
        Assert.Equal(9UL, st.MaxLsn);
        Assert.Equal(full - lastLen, new FileInfo(file).Length);
        // The writer resends the unacked record; it lands in the new log file.
        var ack = await TestKit.AppendAsync(c, TestKit.Seg(), [gen.All[9].Record]);
        Assert.Equal(10UL, ack.Scl);
        await c.DisposeAsync();
        await node.DisposeAsync();

        (node, c) = await OpenAsync(1, dir);
        Assert.Equal(10UL, (await TestKit.StateAsync(c, TestKit.Seg())).Scl);
        await c.DisposeAsync();
        await node.DisposeAsync();
        TestKit.TryDelete(dir);
    }

    [Fact]
    public async Task CorruptRecordInTheMiddleIsSkippedAndLaterRecordsKept()
    {
        string dir = TestKit.NewDir();
        var gen = new RecordGen(seed: 13);
        var (node, c) = await OpenAsync(1, dir, new Membership(1, []));
        await TestKit.AppendAsync(c, TestKit.Seg(), gen.Batch(10));
        await c.DisposeAsync();
        await node.DisposeAsync();

        long offset = 0;
        for (int i = 0; i < 4; i++) offset += gen.All[i].Record.Length;
        string file = LogFile(dir);
        using (var fs = new FileStream(file, FileMode.Open))
        {
            fs.Position = offset + 60; // inside record 5's payload
            int b = fs.ReadByte();
            fs.Position = offset + 60;
            fs.WriteByte((byte)(b ^ 0x04));
        }

        (node, c) = await OpenAsync(1, dir);
        var st = await TestKit.StateAsync(c, TestKit.Seg());
        Assert.Equal(4UL, st.Scl);
        Assert.Equal(10UL, st.MaxLsn);
        var list = await c.RequestAsync(MessageType.ListLsns, Encode.ToArray(ListLsnsMsg.Size, new ListLsnsMsg { Segment = TestKit.Seg(), AfterLsn = 0, MaxCount = 100 }.Write), TestKit.Timeout);
        var r = new WireReader(list.Payload);
        uint n = r.U32();
        var lsns = new List<ulong>();
        for (int i = 0; i < n; i++) { lsns.Add(r.U64()); r.U8(); }
        Assert.Equal([1UL, 2, 3, 4, 6, 7, 8, 9, 10], lsns);
        // A resend of the missing record closes the gap.
        var ack = await TestKit.AppendAsync(c, TestKit.Seg(), [gen.All[4].Record]);
        Assert.Equal(10UL, ack.Scl);
        await c.DisposeAsync();
        await node.DisposeAsync();
        TestKit.TryDelete(dir);
    }
}
