using System.CommandLine;

namespace Borealis.Cli.Commands;

/// <summary>`borealis storage`: runs one storage node in the foreground. (Placeholder until the node lands.)</summary>
internal static class StorageCommand
{
    public static Command Create()
    {
        var cmd = new Command("storage", "Run one storage node.");
        cmd.SetAction(_ => { Console.Error.WriteLine("not built yet"); return 1; });
        return cmd;
    }
}
