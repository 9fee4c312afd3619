return MlopsNotebooks.Cli.MlopsCli.Run(args, Console.Out, Console.Error);
