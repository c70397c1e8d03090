using System.CommandLine;

namespace Borealis.Cli.Commands;

internal static class UpCommand
{
    public static Command Create()
    {
        var cmd = new Command("up", "Start a whole cluster on this machine.");
        cmd.SetAction(_ => { Console.Error.WriteLine("not built yet"); return 1; });
        return cmd;
    }
}
