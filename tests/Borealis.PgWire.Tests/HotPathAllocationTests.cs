using System.Net;
using System.Net.Sockets;
using Xunit.Abstractions;
using static Borealis.PgWire.Tests.RawClient;

namespace Borealis.PgWire.Tests;

/// <summary>Measures what the server allocates per prepared Bind/Execute/Sync cycle (reported, loosely bounded).</summary>
public sealed class HotPathAllocationTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Prepared_execute_cycle_allocations()
    {
        await using var server = new TestServer();
        await using var c = await StartAsync(server.Port);
        await c.SendAsync('P', [.. CStr("s"), .. CStr("SELECT $1"), .. BE16(1), .. BE32(23)]);
        await c.SendAsync('S');
        await c.ReadUntilReadyAsync();

        byte[] bind = [.. CStr(""), .. CStr("s"), .. BE16(1), .. BE16(1), .. BE16(1), .. BE32(4), .. BE32(7), .. BE16(1), .. BE16(1)];
        byte[] exec = [.. CStr(""), .. BE32(0)];
        var one = new List<byte>();
        one.Add((byte)'B'); one.AddRange(BE32(bind.Length + 4)); one.AddRange(bind);
        one.Add((byte)'E'); one.AddRange(BE32(exec.Length + 4)); one.AddRange(exec);
        one.Add((byte)'S'); one.AddRange(BE32(4));
        const int cycles = 2000;
        var batch = Enumerable.Repeat(one, cycles).SelectMany(x => x).ToArray();

        async Task RunAsync()
        {
            var send = c.SendRawAsync(batch);
            await c.SkipUntilReadyCountAsync(cycles);
            await send;
        }

        await RunAsync(); // warm up
        long before = GC.GetTotalAllocatedBytes(precise: true);
        await RunAsync();
        long perCycle = (GC.GetTotalAllocatedBytes(precise: true) - before) / cycles;
        // Includes the test backend's own portal object per Bind and the test client's reads.
        output.WriteLine($"allocated per Bind/Execute/Sync cycle: {perCycle} bytes");
        Assert.True(perCycle < 1024, $"{perCycle} bytes per cycle");
    }
}
