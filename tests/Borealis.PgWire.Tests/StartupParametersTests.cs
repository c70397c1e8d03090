using System.Text;
using Borealis.PgWire.Protocol;

namespace Borealis.PgWire.Tests;

public sealed class StartupParametersTests
{
    private static byte[] Body(params (string, string)[] pairs)
    {
        var b = new List<byte>();
        foreach (var (k, v) in pairs) { b.AddRange(Encoding.UTF8.GetBytes(k)); b.Add(0); b.AddRange(Encoding.UTF8.GetBytes(v)); b.Add(0); }
        b.Add(0);
        return [.. b];
    }

    [Fact]
    public void Settings_come_from_parameters_and_options()
    {
        Assert.True(StartupParameters.TryDecode(PgProtocol.Version30, Body(
            ("user", "u"), ("database", "d"), ("application_name", "app"), ("DateStyle", "ISO"),
            ("options", @"-c search_path=a\ b -csynchronous_commit=off --statement-timeout=5s")), out var p));
        var s = p.Settings();
        Assert.Equal("a b", s["search_path"]);
        Assert.Equal("off", s["synchronous_commit"]);
        Assert.Equal("5s", s["statement_timeout"]);
        Assert.Equal("app", s["application_name"]);
        Assert.Equal("ISO", s["datestyle"]);
        Assert.False(s.ContainsKey("user"));
        Assert.Equal("d", p.Database);
    }

    [Fact]
    public void Database_defaults_to_user_and_user_is_required()
    {
        Assert.True(StartupParameters.TryDecode(PgProtocol.Version30, Body(("user", "bob")), out var p));
        Assert.Equal("bob", p.Database);
        Assert.False(StartupParameters.TryDecode(PgProtocol.Version30, Body(("database", "x")), out _));
        Assert.False(StartupParameters.TryDecode(PgProtocol.Version30, [(byte)'u', 0, (byte)'x'], out _));
    }
}
