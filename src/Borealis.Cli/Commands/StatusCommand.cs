using System.CommandLine;

namespace Borealis.Cli.Commands;

internal static class StatusCommand
{
    public static Command Create()
    {
        var cmd = new Command("status", "Show the processes of the embedded cluster.");
        cmd.SetAction(_ => { Console.Error.WriteLine("not built yet"); return 1; });
        return cmd;
    }
}
