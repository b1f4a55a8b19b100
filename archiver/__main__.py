from archiver.cli import cli

cli(prog_name="archiver")
