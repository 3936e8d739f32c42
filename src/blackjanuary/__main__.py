from blackjanuary.cli import main

main()
