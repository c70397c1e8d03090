using Borealis.Volume.Durability;

namespace Borealis.Volume.Tests;

public class LayoutTests
{
    internal static List<NodeInfo> Nodes(int perAz, int azs = 3)
    {
        var list = new List<NodeInfo>();
        uint id = 1;
        for (int a = 0; a < azs; a++)
            for (int i = 0; i < perAz; i++, id++)
                list.Add(new NodeInfo(id, $"az{a + 1}", $"127.0.0.1:{7000 + id}"));
        return list;
    }

    [Theory]
    [InlineData(2, 3, 1)]
    [InlineData(2, 3, 16)]
    [InlineData(3, 3, 12)]
    [InlineData(4, 3, 10)]
    [InlineData(2, 4, 10)]
    public void PlacesSixSegmentsTwoPerAzAndSpreadsLoad(int perAz, int azs, int pgCount)
    {
        var nodes = Nodes(perAz, azs);
        var layout = VolumeLayout.Create(42, (uint)pgCount, 64, nodes);
        Assert.Equal((uint)pgCount, layout.PgCount);
        var load = new Dictionary<uint, int>();
        foreach (var n in nodes) load[n.NodeId] = 0;
        foreach (var pg in layout.Pgs)
        {
            Assert.Equal(6, pg.Members.Length);
            Assert.Equal(6, pg.Members.Select(m => m.NodeId).Distinct().Count());
            var perAzCount = pg.Members.GroupBy(m => m.Az).ToList();
            Assert.Equal(3, perAzCount.Count);
            Assert.All(perAzCount, g => Assert.Equal(2, g.Count()));
            foreach (var m in pg.Members) load[m.NodeId]++;
        }
        if (azs == 3)
            Assert.True(load.Values.Max() - load.Values.Min() <= 1, $"unbalanced: {string.Join(",", load.Values)}");
    }

    [Fact]
    public void RejectsFewerThanThreeAzs()
    {
        Assert.Throws<ArgumentException>(() => VolumeLayout.Create(1, 2, 64, Nodes(3, 2)));
        var lopsided = Nodes(2);
        lopsided.RemoveAt(0);
        Assert.Throws<ArgumentException>(() => VolumeLayout.Create(1, 2, 64, lopsided));
    }

    [Fact]
    public void PgOfMapsContiguousRanges()
    {
        var layout = VolumeLayout.Create(1, 4, 64, Nodes(2));
        Assert.Equal(0u, layout.PgOf(0));
        Assert.Equal(0u, layout.PgOf(63));
        Assert.Equal(1u, layout.PgOf(64));
        Assert.Equal(3u, layout.PgOf(255));
        Assert.Equal(256ul, layout.PageCount);
        Assert.Equal(128ul, layout.FirstPageOf(2));
    }

    [Fact]
    public async Task FileStoreRoundTripsAndReplacesAtomically()
    {
        var dir = Path.Combine(Path.GetTempPath(), "borealis-layout-" + Guid.NewGuid().ToString("N"));
        try
        {
            var store = new FileVolumeLayoutStore(dir);
            Assert.Null(await store.LoadAsync(7, default));
            var layout = VolumeLayout.Create(7, 3, 64, Nodes(2));
            await store.SaveAsync(layout, default);
            var transitional = layout.Pgs[1] with
            {
                MembershipEpoch = 2,
                Members = [.. layout.Pgs[1].Members, new NodeInfo(99, "az1", "127.0.0.1:1")],
                LeavingNodeId = layout.Pgs[1].Members[0].NodeId,
                JoiningNodeId = 99,
            };
            await store.SaveAsync(layout.WithPg(transitional), default);
            var back = await store.LoadAsync(7, default);
            Assert.NotNull(back);
            Assert.Equal(3u, back.PgCount);
            Assert.Equal(7, back.Pgs[1].Members.Length);
            Assert.True(back.Pgs[1].InTransition);
            Assert.Equal(99u, back.Pgs[1].JoiningNodeId);
            Assert.Equal(layout.Pgs[2].Members, back.Pgs[2].Members);
            Assert.False(File.Exists(store.PathOf(7) + ".tmp"));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void QuorumRulesFollowTheTransitionalRule()
    {
        var layout = VolumeLayout.Create(1, 1, 64, Nodes(2));
        var pg = layout.Pgs[0];
        var ids = pg.Members.Select(m => m.NodeId).ToArray();
        Assert.True(QuorumRules.IsWriteQuorum(pg, ids[..4]));
        Assert.False(QuorumRules.IsWriteQuorum(pg, ids[..3]));
        Assert.True(QuorumRules.IsReadQuorum(pg, ids[..3]));

        var t = pg with { Members = [.. pg.Members, new NodeInfo(99, "az1", "x:1")], LeavingNodeId = ids[0], JoiningNodeId = 99, MembershipEpoch = 2 };
        // Old set = ids[0..6]; new set = ids[1..6] + 99.
        Assert.True(QuorumRules.IsWriteQuorum(t, [ids[1], ids[2], ids[3], ids[4]]));      // 4 of old, 4 of new
        Assert.False(QuorumRules.IsWriteQuorum(t, [ids[0], ids[1], ids[2], 99]));         // 3 of old, 3 of new
        Assert.False(QuorumRules.IsWriteQuorum(t, [ids[0], ids[1], ids[2], ids[3]]));     // 4 of old, 3 of new
        Assert.True(QuorumRules.IsWriteQuorum(t, [ids[0], ids[1], ids[2], ids[3], 99]));  // 4 of old, 4 of new
        Assert.False(QuorumRules.IsWriteQuorum(t, [ids[2], ids[3], ids[4], 99]));         // 3 of old, 4 of new
    }
}
